import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import type { AppContext } from "../app-context.js";

/** A channel account as its driver gets it: config parsed by the driver's schema, secrets open. */
export type TChannelAccount<TConfig = unknown> = {
  id: number;
  kind: string;
  name: string;
  config: TConfig;
  /** Where its requests go (null: the default queue). */
  queueId: number | null;
  /** The receiver's saved position (see TReceiverControl.saveCursor); `{}` at first. */
  cursor: Record<string, unknown>;
};

/** A staff reply going back to the customer through a thread binding. */
export type TOutboundReply = {
  binding: { id: number; channel: string; accountId: number | null; externalThreadId: string };
  contact: { id: number; name: string; email: string | null; language: "ru" | "en" };
  ticket: { id: number; title: string };
  message: { id: number; text: string; authorName: string };
};

/** What a receiver may tell the runtime while it runs. */
export type TReceiverControl = {
  /** Aborted when the receiver must stop: account disabled or changed, lease lost, shutdown. */
  signal: AbortSignal;
  /** Records that the account did something (a poll, a message): shown as its last activity. */
  touch(): void;
  /**
   * Keeps the receiver's position (IMAP: UIDVALIDITY and last UID; Telegram: the update offset),
   * so the next holder of the lease, in this process or another, goes on from there.
   */
  saveCursor(cursor: Record<string, unknown>): Promise<void>;
  /**
   * Shows a trouble the receiver handles itself (a dropped connection it retries) as the
   * account's last error; null clears it once things work again.
   */
  reportError(error: string | null): Promise<void>;
};

/**
 * One channel kind: e-mail, a Telegram bot, a Telegram personal account, the widget. Everything
 * channel-specific lives behind this; conversations, notifications and the admin API only
 * ever talk to drivers through the registry.
 */
export type ChannelDriver<TConfig = unknown> = {
  /** The channel's one name: `channel_accounts.kind`, contact identities, thread bindings. */
  name: string;
  /** Checks an account's config (create, change, and every read). */
  accountConfig: z.ZodType<TConfig>;
  /**
   * A chat channel (a Telegram bot in inbox mode, a personal Telegram account, the widget): each
   * conversation with one person on one account is a chat of the omnichannel inbox
   * (`modules/inbox`), kept by `ingestInbound` with every message. E-mail is not one.
   */
  chat?: boolean;
  /** Config fields sealed with APP_SECRET at rest and never returned by the API. */
  secretFields?: readonly (keyof TConfig & string)[];
  /**
   * Reads the account until `control.signal` aborts (IMAP IDLE, Telegram long polling, an
   * MTProto client). Runs under the account's lease in one worker process at a time; a throw
   * is recorded as the account's last error and the receiver is restarted with backoff.
   */
  receive?(ctx: AppContext, account: TChannelAccount<TConfig>, control: TReceiverControl): Promise<void>;
  /**
   * Sends a staff reply to the customer (the binding says where). Throws when it could not:
   * the conversation retries with backoff and shows the error; nothing is dropped silently.
   * Returns the channel's id of what it sent.
   */
  sendReply?(ctx: AppContext, reply: TOutboundReply): Promise<{ externalId?: string }>;
  /**
   * Mirrors the account the environment defines (IMAP_URL, TELEGRAM_BOT_TOKEN) into
   * `channel_accounts` (`config.source = 'env'`, one per kind), at every start of every process.
   */
  ensureEnvAccount?(ctx: AppContext): Promise<void>;
  /** HTTP routes of the channel (a webhook, the widget's socket), registered at start. */
  routes?(app: FastifyInstance, ctx: AppContext): Promise<void>;
  /** Checks that the account can connect with its config (the admin's "test" button). */
  testConnection?(
    ctx: AppContext,
    account: TChannelAccount<TConfig>,
  ): Promise<{ ok: true } | { ok: false; error: string }>;
};

export const defineChannelDriver = <TConfig>(driver: ChannelDriver<TConfig>): ChannelDriver =>
  driver as unknown as ChannelDriver;
