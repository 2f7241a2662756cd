import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "../../platform/db/index.js";
import { channelAccounts, telegramUserPeers } from "../../platform/db/schema/index.js";

/** The driver's name: `channel_accounts.kind` of personal accounts and their thread bindings. */
export const TELEGRAM_USER_CHANNEL = "telegram_user";
/** A Telegram user is one person on a bot and on a personal account: one contact identity. */
export const TELEGRAM_IDENTITY_CHANNEL = "telegram";

export const TELEGRAM_USER_AUTH_STATES = ["created", "authenticating", "authorized", "revoked"] as const;

/** A personal account's config, as `channel_accounts.config` keeps it (`api_hash` and `session` sealed). */
export const ZTelegramUserConfig = z.object({
  source: z.literal("admin").default("admin"),
  phone_number: z.string().min(1).max(40),
  api_id: z.number().int().positive(),
  /** From my.telegram.org: a secret field. */
  api_hash: z.string().min(1).max(500),
  /** Where the log-in is: `authorized` once Telegram let it in, `revoked` when it ended it. */
  auth_state: z.enum(TELEGRAM_USER_AUTH_STATES).default("created"),
  /** The MTProto session (it IS the login): a secret field, set when the log-in finished. */
  session: z.string().min(1).max(10_000).optional(),
  /** Who the account is, from the log-in. */
  me: z
    .object({ id: z.number().int(), name: z.string(), username: z.string().nullable() })
    .nullable()
    .default(null),
});
export type TTelegramUserConfig = z.infer<typeof ZTelegramUserConfig>;

/** The receiver's position in the account's update stream (see the port's "What is stored"). */
export const ZTelegramUserCursor = z.object({
  updates: z
    .object({ pts: z.number(), qts: z.number(), date: z.number(), seq: z.number() })
    .nullable()
    .catch(null)
    .default(null),
});

const isUserAccount = eq(channelAccounts.kind, TELEGRAM_USER_CHANNEL);

/**
 * Writes keys of a personal account's config. `restart`: a change the receiver must follow (a new
 * session), which bumps `updated_at` and forgets the cursor (another session's position means
 * nothing); without it the receiver keeps running (the log-in moving along).
 */
export async function patchUserAccountConfig(
  db: DbOrTx,
  id: number,
  patch: Partial<TTelegramUserConfig>,
  options: { restart: boolean; lastError?: string | null },
) {
  await db
    .update(channelAccounts)
    .set({
      config: sql`${channelAccounts.config} || ${JSON.stringify(patch)}::jsonb`,
      ...(options.restart ? { updatedAt: new Date(), cursor: {} } : {}),
      ...(options.lastError === undefined
        ? {}
        : { lastError: options.lastError, lastErrorAt: options.lastError ? new Date() : null }),
    })
    .where(and(isUserAccount, eq(channelAccounts.id, id)));
}

/** Forgets the session Telegram ended: the account shows "log in again". */
export async function markSessionRevoked(db: DbOrTx, id: number, reason: string) {
  await db
    .update(channelAccounts)
    .set({
      config: sql`(${channelAccounts.config} - 'session') || '{"auth_state":"revoked"}'::jsonb`,
      lastError: `${reason} Log in again.`.slice(0, 500),
      lastErrorAt: new Date(),
      cursor: {},
    })
    .where(and(isUserAccount, eq(channelAccounts.id, id)));
}

/** Remembers how the account reaches a chat (the client's ref of it). */
export async function savePeerRef(db: DbOrTx, accountId: number, chatId: number, ref: string) {
  await db
    .insert(telegramUserPeers)
    .values({ accountId, chatId, ref })
    .onConflictDoUpdate({
      target: [telegramUserPeers.accountId, telegramUserPeers.chatId],
      set: { ref, updatedAt: new Date() },
      setWhere: sql`${telegramUserPeers.ref} <> excluded.ref`,
    });
}

export async function findPeerRef(
  db: DbOrTx,
  accountId: number,
  chatId: number,
): Promise<string | undefined> {
  const [row] = await db
    .select({ ref: telegramUserPeers.ref })
    .from(telegramUserPeers)
    .where(and(eq(telegramUserPeers.accountId, accountId), eq(telegramUserPeers.chatId, chatId)));
  return row?.ref;
}
