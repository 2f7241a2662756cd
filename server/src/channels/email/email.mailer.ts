import { eq, sql } from "drizzle-orm";
import nodemailer, { type Transporter } from "nodemailer";
import MailComposer from "nodemailer/lib/mail-composer";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { decryptSecret } from "../../platform/crypto.js";
import { emailOutbox, settings } from "../../platform/db/schema/index.js";

export const SMTP_SETTINGS_KEY = "email.smtp";

/** SMTP settings as stored (password sealed with APP_SECRET). */
export const ZStoredSmtp = z.object({
  host: z.string().default(""),
  port: z.number().int().default(587),
  secure: z.boolean().default(false),
  user: z.string().default(""),
  password_enc: z.string().nullable().default(null),
  from: z.string().default(""),
});
export type TStoredSmtp = z.infer<typeof ZStoredSmtp>;

export async function readStoredSmtp(ctx: Pick<AppContext, "db">): Promise<TStoredSmtp> {
  const [row] = await ctx.db.select().from(settings).where(eq(settings.key, SMTP_SETTINGS_KEY));
  const parsed = ZStoredSmtp.safeParse(row?.value ?? {});
  return parsed.success ? parsed.data : ZStoredSmtp.parse({});
}

export async function writeStoredSmtp(ctx: Pick<AppContext, "db">, value: TStoredSmtp) {
  await ctx.db
    .insert(settings)
    .values({ key: SMTP_SETTINGS_KEY, value })
    .onConflictDoUpdate({ target: settings.key, set: { value: sql`excluded.value`, updatedAt: sql`now()` } });
  // The connections kept open to the old server are of no use any more.
  closeTransports();
}

type TTransportConfig =
  | { url: string }
  | { host: string; port: number; secure: boolean; user: string; pass: string };

/** Where mail goes: SMTP_URL (env) wins, then the admin settings; null means the outbox table. */
export async function resolveTransport(ctx: Pick<AppContext, "db" | "config">): Promise<{
  transport: TTransportConfig | null;
  from: string;
}> {
  const stored = await readStoredSmtp(ctx);
  const from = ctx.config.mailFrom || stored.from || `Helpdesk <helpdesk@${hostOf(ctx.config.publicUrl)}>`;
  if (ctx.config.smtpUrl) return { transport: { url: ctx.config.smtpUrl }, from };
  if (!stored.host) return { transport: null, from };
  const pass = stored.password_enc ? decryptSecret(ctx.config.appSecret, stored.password_enc) : "";
  return {
    transport: { host: stored.host, port: stored.port, secure: stored.secure, user: stored.user, pass },
    from,
  };
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
  ctx: Pick<AppContext, "db" | "config">,
  mail: TOutgoingMail,
  /** The transport already resolved for a batch of mails (read from the settings otherwise). */
  resolved?: Awaited<ReturnType<typeof resolveTransport>>,
): Promise<{ via: "smtp" | "outbox"; messageId: string | undefined }> {
  const { transport, from } = resolved ?? (await resolveTransport(ctx));
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
  await transporterFor(transport).sendMail({ envelope: message.getEnvelope(), raw });
  return { via: "smtp", messageId: message.messageId() };
}

/** Closes cached SMTP connections (shutdown and tests). */
export function closeTransports() {
  for (const t of transporters.values()) t.close();
  transporters.clear();
}
