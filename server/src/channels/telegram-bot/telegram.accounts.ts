import { TELEGRAM_BOT_MODES } from "@helpdesk/contracts";
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { decryptSecret } from "../../platform/crypto.js";
import type { DbOrTx } from "../../platform/db/index.js";
import { channelAccounts } from "../../platform/db/schema/index.js";
import type { TChannelAccountRow } from "../channel-accounts.repository.js";

/** The channel's name: `channel_accounts.kind` of every bot, and of its contacts and bindings. */
export const TELEGRAM_CHANNEL = "telegram";

/** A bot's config, as `channel_accounts.config` keeps it (the token sealed). */
export const ZTelegramAccountConfig = z.object({
  /** "env": the one TELEGRAM_BOT_TOKEN defines (only name, queue and enabled are the admin's). */
  source: z.enum(["admin", "env"]).default("admin"),
  /**
   * `requester`: the product's own bot (commands, the `/new` dialogue, `/my`, linking, notifications);
   * `inbox`: every private message goes into a conversation with the support team.
   */
  mode: z.enum(TELEGRAM_BOT_MODES).default("requester"),
  /** The bot's token from @BotFather: a secret field. */
  token: z.string().min(1).max(200),
  /** What getMe said the last time the receiver started (shown to the admin). */
  username: z.string().max(100).default(""),
  bot_id: z.number().int().nullable().default(null),
  /**
   * Webhook mode: the `secret_token` the receiver gave setWebhook, which Telegram sends back in
   * X-Telegram-Bot-Api-Secret-Token. A secret field, written by the receiver without a change of
   * settings (recordWebhookSecret); kept across restarts, so a handover does not refuse updates.
   */
  webhook_secret: z.string().min(1).max(1000).optional(),
  /**
   * Another program receives this bot's updates from Telegram and forwards them to the seed
   * endpoint (`POST /api/webhook/bot/`): the receiver then neither sets nor deletes the bot's
   * webhook and does not poll; it only processes what the endpoint stored.
   */
  forwarded: z.boolean().optional(),
});
export type TTelegramAccountConfig = z.infer<typeof ZTelegramAccountConfig>;

/**
 * Where the receiver is: the next update to ask for. The bot it belongs to is kept with it, so a
 * new token (another bot, whose update ids start elsewhere) starts from that bot's beginning.
 */
export const ZTelegramCursor = z.object({
  offset: z.number().int().min(0).catch(0).default(0),
  bot_id: z.number().int().nullable().catch(null).default(null),
});
export type TTelegramCursor = z.infer<typeof ZTelegramCursor>;

const isBot = eq(channelAccounts.kind, TELEGRAM_CHANNEL);

/** A bot account's row (config still sealed), or undefined when there is none of this id. */
export async function findBotAccountById(db: DbOrTx, id: number): Promise<TChannelAccountRow | undefined> {
  const [row] = await db
    .select()
    .from(channelAccounts)
    .where(and(isBot, eq(channelAccounts.id, id)));
  return row;
}

/** The bot TELEGRAM_BOT_TOKEN defines, if there is one. */
export async function findEnvBotAccount(db: DbOrTx): Promise<TChannelAccountRow | undefined> {
  const [row] = await db
    .select()
    .from(channelAccounts)
    .where(and(isBot, sql`${channelAccounts.config}->>'source' = 'env'`));
  return row;
}

/** Adds a bot; `config.token` must already be sealed. Undefined when TELEGRAM_BOT_TOKEN's one exists already. */
export async function insertBotAccount(
  db: DbOrTx,
  a: { name: string; config: TTelegramAccountConfig; queueId: number | null },
): Promise<TChannelAccountRow | undefined> {
  const [row] = await db
    .insert(channelAccounts)
    .values({ kind: TELEGRAM_CHANNEL, name: a.name, config: a.config, queueId: a.queueId, isEnabled: true })
    .onConflictDoNothing()
    .returning();
  return row;
}

/** Gives a bot a new config (a new `updated_at` restarts its receiver with it). */
export async function updateBotAccountConfig(
  db: DbOrTx,
  id: number,
  a: { name: string; config: TTelegramAccountConfig },
) {
  await db
    .update(channelAccounts)
    .set({ name: a.name, config: a.config, updatedAt: new Date() })
    .where(and(isBot, eq(channelAccounts.id, id)));
}

/**
 * Records who the bot is (from getMe) in its config. Only those two keys change and `updated_at`
 * stays: this is not a change of settings, and must not restart the receiver.
 */
export async function recordBotIdentity(db: DbOrTx, id: number, bot: { id: number; username: string }) {
  await db
    .update(channelAccounts)
    .set({
      config: sql`${channelAccounts.config} || jsonb_build_object('username', ${bot.username}::text, 'bot_id', ${bot.id}::bigint)`,
    })
    .where(and(isBot, eq(channelAccounts.id, id)));
}

/**
 * The product's own bot, the one people link their accounts to and get notifications from: the
 * enabled requester-mode bot, TELEGRAM_BOT_TOKEN's first, else the oldest. Undefined when none.
 */
export async function findRequesterBot(db: DbOrTx): Promise<TChannelAccountRow | undefined> {
  const [row] = await db
    .select()
    .from(channelAccounts)
    .where(
      and(
        isBot,
        eq(channelAccounts.isEnabled, true),
        sql`coalesce(${channelAccounts.config}->>'mode', 'requester') = 'requester'`,
      ),
    )
    .orderBy(sql`(${channelAccounts.config}->>'source' = 'env') DESC`, channelAccounts.id)
    .limit(1);
  return row;
}

/** A bot's stored config with its token opened (for code that has no driver at hand: the notifier). */
export function openBotConfig(appSecret: string, stored: unknown): TTelegramAccountConfig {
  const config = ZTelegramAccountConfig.parse(stored);
  return { ...config, token: decryptSecret(appSecret, config.token) };
}

/**
 * Keeps the webhook secret (sealed) in the bot's config, only if it has none yet, and answers
 * whether it was written: two receivers overlapping in a handover agree on the first one's.
 * `updated_at` stays, as in recordBotIdentity: the receiver must not restart for it.
 */
export async function recordWebhookSecret(db: DbOrTx, id: number, sealed: string): Promise<boolean> {
  const rows = await db
    .update(channelAccounts)
    .set({ config: sql`${channelAccounts.config} || jsonb_build_object('webhook_secret', ${sealed}::text)` })
    .where(and(isBot, eq(channelAccounts.id, id), sql`${channelAccounts.config}->>'webhook_secret' IS NULL`))
    .returning({ id: channelAccounts.id });
  return rows.length > 0;
}

/** Every bot's id and sealed config, for the webhook routes' credential checks (a few rows). */
export async function findBotCredentialRows(db: DbOrTx): Promise<{ id: number; config: unknown }[]> {
  return db
    .select({ id: channelAccounts.id, config: channelAccounts.config })
    .from(channelAccounts)
    .where(isBot);
}
