import { and, asc, eq, inArray, lt, ne, sql } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/index.js";
import { telegramUpdates } from "../../platform/db/schema/index.js";

/** An update as the webhook stored it, waiting for its bot's receiver. */
export type TStoredUpdateRow = {
  id: number;
  updateId: number;
  chatId: number | null;
  payload: unknown;
  tries: number;
  /** Milliseconds since it was stored, by the database's clock (the app's may differ). */
  ageMs: number;
};

/** An update to store, as the webhook took it. */
export type TNewStoredUpdate = {
  accountId: number;
  updateId: number;
  chatId: number | null;
  payload: unknown;
};

/**
 * Stores updates as Telegram pushed them, in one statement. A re-sent one (Telegram repeats an
 * update it got no 200 for) is not stored twice; answers the `accountId:updateId` keys that were new.
 */
export async function insertStoredUpdates(
  db: DbOrTx,
  updates: readonly TNewStoredUpdate[],
): Promise<Set<string>> {
  if (updates.length === 0) return new Set();
  const rows = await db
    .insert(telegramUpdates)
    .values(
      updates.map((u) => ({
        accountId: u.accountId,
        updateId: u.updateId,
        chatId: u.chatId,
        payload: u.payload,
      })),
    )
    .onConflictDoNothing({ target: [telegramUpdates.accountId, telegramUpdates.updateId] })
    .returning({ accountId: telegramUpdates.accountId, updateId: telegramUpdates.updateId });
  return new Set(rows.map((r) => storedUpdateKey(r)));
}

/** The unique key of a stored update, as insertStoredUpdates answers it. */
export const storedUpdateKey = (u: { accountId: number; updateId: number }) => `${u.accountId}:${u.updateId}`;

/** A bot's pending updates in the order they arrived, at most `limit`. */
export async function findPendingUpdates(
  db: DbOrTx,
  accountId: number,
  limit: number,
): Promise<TStoredUpdateRow[]> {
  const rows = await db
    .select({
      id: telegramUpdates.id,
      updateId: telegramUpdates.updateId,
      chatId: telegramUpdates.chatId,
      payload: telegramUpdates.payload,
      tries: telegramUpdates.tries,
      ageMs: sql<number>`(extract(epoch from now() - ${telegramUpdates.receivedAt}) * 1000)::float8`,
    })
    .from(telegramUpdates)
    .where(and(eq(telegramUpdates.accountId, accountId), eq(telegramUpdates.status, "pending")))
    .orderBy(asc(telegramUpdates.id))
    .limit(limit);
  return rows.map((r) => ({ ...r, ageMs: Number(r.ageMs) }));
}

/** Updates that were handled (or given up by processBotUpdate itself), in one statement. */
export async function markUpdatesDone(db: DbOrTx, ids: readonly number[]) {
  if (ids.length === 0) return;
  await db
    .update(telegramUpdates)
    .set({ status: "done", processedAt: sql`now()` })
    .where(inArray(telegramUpdates.id, [...ids]));
}

/**
 * A try of an update failed: `pending` to be tried again, or `failed` when even the last try
 * threw (the update is then out of the way of its chat's next ones).
 */
export async function recordUpdateFailure(
  db: DbOrTx,
  id: number,
  f: { tries: number; error: string; status: "pending" | "failed" },
) {
  await db
    .update(telegramUpdates)
    .set({
      tries: f.tries,
      lastError: f.error.slice(0, 2000),
      status: f.status,
      ...(f.status === "failed" ? { processedAt: sql`now()` } : {}),
    })
    .where(eq(telegramUpdates.id, id));
}

/**
 * Deletes up to `limit` of a bot's handled updates processed more than `days` ago; answers how
 * many. Callers repeat it while it deletes a full batch (big deletes run in batches).
 */
export async function deleteOldUpdates(db: DbOrTx, accountId: number, days: number, limit: number) {
  const old = db
    .select({ id: telegramUpdates.id })
    .from(telegramUpdates)
    .where(
      and(
        eq(telegramUpdates.accountId, accountId),
        ne(telegramUpdates.status, "pending"),
        lt(telegramUpdates.processedAt, sql`now() - make_interval(days => ${days})`),
      ),
    )
    .limit(limit);
  const rows = await db
    .delete(telegramUpdates)
    .where(inArray(telegramUpdates.id, old))
    .returning({ id: telegramUpdates.id });
  return rows.length;
}
