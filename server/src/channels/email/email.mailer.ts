import { eq, sql } from "drizzle-orm";
import nodemailer, { type Transporter } from "nodemailer";
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

function transporterFor(config: TTransportConfig): Transporter {
  const key = JSON.stringify(config);
  let t = transporters.get(key);
  if (!t) {
    const timeouts = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000 };
    t =
      "url" in config
        ? nodemailer.createTransport(config.url, timeouts as never)
        : nodemailer.createTransport({
            host: config.host,
            port: config.port,
            secure: config.secure,
            auth: config.user ? { user: config.user, pass: config.pass } : undefined,
            ...timeouts,
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
): Promise<{ via: "smtp" | "outbox"; messageId: string | undefined }> {
  const { transport, from } = await resolveTransport(ctx);
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
  const info = await transporterFor(transport).sendMail({
    from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId,
    inReplyTo: mail.inReplyTo,
    references: mail.references,
    headers,
  });
  return { via: "smtp", messageId: info.messageId };
}

/** Closes cached SMTP connections (shutdown and tests). */
export function closeTransports() {
  for (const t of transporters.values()) t.close();
  transporters.clear();
}
