import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "../../platform/db/index.js";
import { channelAccounts } from "../../platform/db/schema/index.js";

/**
 * The SMTP sender's account kind. There is at most one (a unique index), and it only sends: no
 * receiver, no lease. Disabled ("stopped" in Admin → Channels), mail waits in the delivery
 * retries instead of going out.
 */
export const SMTP_ACCOUNT_KIND = "smtp";

/** The SMTP sender's config, as `channel_accounts.config` keeps it (the password sealed). */
export const ZSmtpAccountConfig = z.object({
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535).default(587),
  /** TLS from the first byte (465); false: STARTTLS when the server offers it. */
  secure: z.boolean().default(false),
  user: z.string().max(255).default(""),
  /** Sealed with APP_SECRET; "" when the server needs no login. */
  password: z.string().max(2000).default(""),
  from: z.string().max(320).default(""),
});
export type TSmtpAccountConfig = z.infer<typeof ZSmtpAccountConfig>;

export type TSmtpAccount = {
  id: number;
  isEnabled: boolean;
  config: TSmtpAccountConfig;
};

const isSmtp = eq(channelAccounts.kind, SMTP_ACCOUNT_KIND);

/** The SMTP sender, if one is set up. A config that no longer parses counts as none. */
export async function findSmtpAccount(db: DbOrTx): Promise<TSmtpAccount | undefined> {
  const [row] = await db
    .select({ id: channelAccounts.id, isEnabled: channelAccounts.isEnabled, config: channelAccounts.config })
    .from(channelAccounts)
    .where(isSmtp);
  if (!row) return undefined;
  const config = ZSmtpAccountConfig.safeParse(row.config);
  return config.success ? { id: row.id, isEnabled: row.isEnabled, config: config.data } : undefined;
}

/**
 * Creates the SMTP sender or replaces its config (`config.password` already sealed). A new
 * sender is enabled; an existing one keeps its switch.
 */
export async function saveSmtpAccount(db: DbOrTx, name: string, config: TSmtpAccountConfig) {
  await db
    .insert(channelAccounts)
    .values({ kind: SMTP_ACCOUNT_KIND, name, config })
    .onConflictDoUpdate({
      target: channelAccounts.kind,
      targetWhere: sql`kind = 'smtp'`,
      set: { name, config, lastError: null, updatedAt: new Date() },
    });
}

/** Removes the SMTP sender: mail goes to the outbox table again. */
export async function deleteSmtpAccount(db: DbOrTx) {
  await db.delete(channelAccounts).where(isSmtp);
}

/** What the last send through the sender did: shown as its last activity or last error. */
export async function recordSmtpOutcome(db: DbOrTx, id: number, error: string | null) {
  await db
    .update(channelAccounts)
    .set(
      error === null
        ? { lastActivityAt: new Date(), lastError: null }
        : { lastError: error.slice(0, 2000), lastErrorAt: new Date() },
    )
    .where(eq(channelAccounts.id, id));
}
