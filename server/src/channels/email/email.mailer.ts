import nodemailer, { type Transporter } from "nodemailer";
import MailComposer from "nodemailer/lib/mail-composer";
import type { AppContext } from "../../app-context.js";
import { decryptSecret } from "../../platform/crypto.js";
import { emailOutbox } from "../../platform/db/schema/index.js";
import { findSmtpAccount, recordSmtpOutcome, type TSmtpAccount } from "./smtp.account.js";

type TTransportConfig =
  | { url: string }
  | { host: string; port: number; secure: boolean; user: string; pass: string };

/** Where mail goes, resolved once for a batch of mails. */
export type TResolvedTransport = {
  /** null: the outbox table (no SMTP sender is set up), or nowhere yet (`stopped`). */
  transport: TTransportConfig | null;
  from: string;
  /** The SMTP sender's channel account (null with SMTP_URL or without a sender). */
  accountId: number | null;
  /** The sender is stopped in Admin → Channels: sending throws and the delivery retries later. */
  stopped: boolean;
};

/** Thrown for every mail while the SMTP sender is stopped (never a silent drop to the outbox). */
export class SmtpSenderStoppedError extends Error {
  constructor() {
    super("The SMTP sender is stopped (Admin → Channels); mail is held and retried");
    this.name = "SmtpSenderStoppedError";
  }
}

/** Where mail goes: SMTP_URL (env) wins, then the SMTP sender account; neither means the outbox table. */
export async function resolveTransport(
  ctx: Pick<AppContext, "db" | "config">,
  /** The sender already read (undefined: there is none); read here when not given. */
  sender?: { account: TSmtpAccount | undefined },
): Promise<TResolvedTransport> {
  const account = sender ? sender.account : await findSmtpAccount(ctx.db);
  const from =
    ctx.config.mailFrom || account?.config.from || `Helpdesk <helpdesk@${hostOf(ctx.config.publicUrl)}>`;
  if (ctx.config.smtpUrl)
    return { transport: { url: ctx.config.smtpUrl }, from, accountId: null, stopped: false };
  if (!account) return { transport: null, from, accountId: null, stopped: false };
  if (!account.isEnabled) return { transport: null, from, accountId: account.id, stopped: true };
  const { host, port, secure, user, password } = account.config;
  const pass = password ? decryptSecret(ctx.config.appSecret, password) : "";
  return { transport: { host, port, secure, user, pass }, from, accountId: account.id, stopped: false };
}

function hostOf(url: string): string {
  try {
    const h = new URL(url).hostname;
    return h.includes(".") ? h : `${h}.local`;
  } catch {
    return "helpdesk.local";
  }
}

export type TOutgoingMail = {
  to: string;
  subject: string;
  text: string;
  html?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  language?: string;
};

/** Headers on every mail we send: auto-generated, and please no auto-replies (no loops). */
export const AUTO_HEADERS = {
  "Auto-Submitted": "auto-generated",
  "X-Auto-Response-Suppress": "All",
} as const;

const transporters = new Map<string, Transporter>();

/** SMTP connections kept open per mail server (the delivery batch sends this many at once). */
export const SMTP_POOL_CONNECTIONS = 10;

function transporterFor(config: TTransportConfig): Transporter {
  const key = JSON.stringify(config);
  let t = transporters.get(key);
  if (!t) {
    // A pool: a few connections reused for many mails, not a connect and a greeting per mail.
    const options = {
      pool: true,
      maxConnections: SMTP_POOL_CONNECTIONS,
      idleTimeout: 60_000,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 30_000,
    } as const;
    t =
      "url" in config
        ? nodemailer.createTransport({ url: config.url, ...options })
        : nodemailer.createTransport({
            host: config.host,
            port: config.port,
            secure: config.secure,
            auth: config.user ? { user: config.user, pass: config.pass } : undefined,
            ...options,
          });
    // Settings change rarely; keep a few transports, drop the oldest.
    if (transporters.size > 4) {
      const [oldKey, old] = transporters.entries().next().value as [string, Transporter];
      old.close();
      transporters.delete(oldKey);
    }
    transporters.set(key, t);
  }
  return t;
}

/**
 * Sends one mail over SMTP, or stores it in `email_outbox` when no SMTP server is configured.
 * Throws on an SMTP failure (the caller's job retries).
 */
export async function sendMail(
  ctx: Pick<AppContext, "db" | "config" | "logger">,
  mail: TOutgoingMail,
  /** The transport already resolved for a batch of mails (read from the settings otherwise). */
  resolved?: TResolvedTransport,
): Promise<{ via: "smtp" | "outbox"; messageId: string | undefined }> {
  const { transport, from, accountId, stopped } = resolved ?? (await resolveTransport(ctx));
  if (stopped) throw new SmtpSenderStoppedError();
  const headers: Record<string, string> = { ...AUTO_HEADERS };
  if (mail.language) headers["Content-Language"] = mail.language;
  if (!transport) {
    await ctx.db.insert(emailOutbox).values({
      to: mail.to,
      from,
      subject: mail.subject,
      text: mail.text,
      html: mail.html ?? null,
      messageId: mail.messageId ?? null,
      headers: {
        ...headers,
        ...(mail.inReplyTo ? { "In-Reply-To": mail.inReplyTo } : {}),
        ...(mail.references?.length ? { References: mail.references.join(" ") } : {}),
      },
    });
    return { via: "outbox", messageId: mail.messageId };
  }
  // Built whole in memory first (a notification is a few kilobytes): streamed, the message
  // goes to the socket in dozens of small writes, and those dominate the cost of sending.
  const message = new MailComposer({
    from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId,
    inReplyTo: mail.inReplyTo,
    references: mail.references,
    headers,
  }).compile();
  const raw = await message.build();
  try {
    await transporterFor(transport).sendMail({ envelope: message.getEnvelope(), raw });
  } catch (error) {
    if (accountId !== null) {
      // The next mail that goes through clears the error at once.
      lastNoted.delete(accountId);
      await recordSmtpOutcome(ctx.db, accountId, (error as Error).message ?? String(error));
    }
    throw error;
  }
  if (accountId !== null) await noteSent(ctx, accountId);
  return { via: "smtp", messageId: message.messageId() };
}

/** Connects, greets and logs in to the SMTP server, sending nothing (the admin's "test"). */
export async function verifySmtp(
  config: { host: string; port: number; secure: boolean; user: string },
  pass: string,
): Promise<{ ok: true } | { ok: false; error: string }> {
  const t = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    auth: config.user ? { user: config.user, pass } : undefined,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  });
  try {
    await t.verify();
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message ?? String(error) };
  } finally {
    t.close();
  }
}

/** When this process last wrote the sender's last activity: once a minute, not once a mail. */
const lastNoted = new Map<number, number>();

async function noteSent(ctx: Pick<AppContext, "db" | "logger">, accountId: number) {
  const now = Date.now();
  if (now - (lastNoted.get(accountId) ?? 0) < 60_000) return;
  lastNoted.set(accountId, now);
  // The mail is sent: failing to note it must not make the caller send it again.
  await recordSmtpOutcome(ctx.db, accountId, null).catch((err: unknown) =>
    ctx.logger.warn({ err, accountId }, "could not record the SMTP sender's activity"),
  );
}

/** Closes cached SMTP connections (shutdown and tests). */
export function closeTransports() {
  for (const t of transporters.values()) t.close();
  transporters.clear();
}
