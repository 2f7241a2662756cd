import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/index.js";
import { channelAccounts } from "../../platform/db/schema/index.js";
import type { TChannelAccountRow } from "../channel-accounts.repository.js";

/** The channel kinds behind `/api/accounts/`: bots, and personal accounts once their driver exists. */
export const TELEGRAM_ACCOUNT_KINDS = ["telegram", "telegram_user"] as const;

const isTelegram = inArray(channelAccounts.kind, [...TELEGRAM_ACCOUNT_KINDS]);

export async function findTelegramAccounts(db: DbOrTx): Promise<TChannelAccountRow[]> {
  return db.select().from(channelAccounts).where(isTelegram).orderBy(asc(channelAccounts.id));
}

export async function findTelegramAccount(db: DbOrTx, id: number): Promise<TChannelAccountRow | undefined> {
  const [row] = await db
    .select()
    .from(channelAccounts)
    .where(and(isTelegram, eq(channelAccounts.id, id)));
  return row;
}

/** The bot account of this bot id (tokens begin with it), if there is one. */
export async function findBotAccountByBotId(db: DbOrTx, botId: number): Promise<{ id: number } | undefined> {
  const [row] = await db
    .select({ id: channelAccounts.id })
    .from(channelAccounts)
    .where(
      and(
        eq(channelAccounts.kind, "telegram"),
        sql`(${channelAccounts.config}->>'bot_id')::bigint = ${botId}`,
      ),
    );
  return row;
}

export async function insertTelegramAccount(
  db: DbOrTx,
  a: { kind: string; name: string; config: Record<string, unknown>; queueId: number | null },
): Promise<TChannelAccountRow> {
  const [row] = await db
    .insert(channelAccounts)
    .values({ kind: a.kind, name: a.name, config: a.config, queueId: a.queueId, isEnabled: true })
    .returning();
  return row!;
}

/**
 * Changes an account. A new config bumps `updated_at`, which restarts its receiver with it; a
 * new name or queue alone does not need a restart, but is harmless with one.
 */
export async function updateTelegramAccount(
  db: DbOrTx,
  id: number,
  patch: { name?: string; config?: Record<string, unknown>; queueId?: number | null },
): Promise<TChannelAccountRow | undefined> {
  const [row] = await db
    .update(channelAccounts)
    .set({
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(patch.queueId === undefined ? {} : { queueId: patch.queueId }),
      ...(patch.config === undefined ? {} : { config: patch.config }),
      updatedAt: new Date(),
    })
    .where(and(isTelegram, eq(channelAccounts.id, id)))
    .returning();
  return row;
}

export async function deleteTelegramAccount(db: DbOrTx, id: number) {
  await db.delete(channelAccounts).where(and(isTelegram, eq(channelAccounts.id, id)));
}

/** The personal account of this phone number (`+` and digits), if there is one. */
export async function findPersonalAccountByPhone(
  db: DbOrTx,
  phone: string,
): Promise<{ id: number } | undefined> {
  const [row] = await db
    .select({ id: channelAccounts.id })
    .from(channelAccounts)
    .where(
      and(
        eq(channelAccounts.kind, "telegram_user"),
        sql`${channelAccounts.config}->>'phone_number' = ${phone}`,
      ),
    );
  return row;
}
