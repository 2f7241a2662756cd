import { and, eq, inArray, sql } from "drizzle-orm";
import type { DbOrTx } from "../platform/db/index.js";
import { channelAccounts } from "../platform/db/schema/index.js";

export type TChannelAccountRow = typeof channelAccounts.$inferSelect;

/** Enabled accounts of the given kinds (the drivers that have a receiver). */
export async function listEnabledAccounts(db: DbOrTx, kinds: string[]): Promise<TChannelAccountRow[]> {
  if (kinds.length === 0) return [];
  return db
    .select()
    .from(channelAccounts)
    .where(and(eq(channelAccounts.isEnabled, true), inArray(channelAccounts.kind, kinds)));
}

/**
 * Takes the account's lease for `owner` when it is free, expired or already theirs. Returns the
 * row when taken. `updated_at` is left alone: it tells a config change.
 */
export async function acquireLease(
  db: DbOrTx,
  id: number,
  owner: string,
  leaseMs: number,
): Promise<TChannelAccountRow | undefined> {
  const [row] = await db
    .update(channelAccounts)
    .set({ leaseOwner: owner, leaseUntil: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
    .where(
      and(
        eq(channelAccounts.id, id),
        eq(channelAccounts.isEnabled, true),
        sql`(${channelAccounts.leaseOwner} IS NULL OR ${channelAccounts.leaseOwner} = ${owner} OR ${channelAccounts.leaseUntil} < now())`,
      ),
    )
    .returning();
  return row;
}

/** Extends a lease this owner holds; undefined when it was lost (taken over, or the account is gone). */
export async function renewLease(db: DbOrTx, id: number, owner: string, leaseMs: number) {
  const [row] = await db
    .update(channelAccounts)
    .set({ leaseUntil: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
    .where(and(eq(channelAccounts.id, id), eq(channelAccounts.leaseOwner, owner)))
    .returning({ isEnabled: channelAccounts.isEnabled, updatedAt: channelAccounts.updatedAt });
  return row;
}

export async function releaseLease(db: DbOrTx, id: number, owner: string, state: "stopped" | "error") {
  await db
    .update(channelAccounts)
    .set({ leaseOwner: null, leaseUntil: null, state })
    .where(and(eq(channelAccounts.id, id), eq(channelAccounts.leaseOwner, owner)));
}

export async function recordRunning(db: DbOrTx, id: number, owner: string) {
  await db
    .update(channelAccounts)
    .set({ state: "running" })
    .where(and(eq(channelAccounts.id, id), eq(channelAccounts.leaseOwner, owner)));
}

/** A receiver crashed: its reason is kept and shown; the holder restarts it after a backoff. */
export async function recordFailure(
  db: DbOrTx,
  id: number,
  owner: string,
  error: string,
  state: "backoff" | "error",
) {
  await db
    .update(channelAccounts)
    .set({
      state,
      lastError: error.slice(0, 2000),
      lastErrorAt: new Date(),
      failures: sql`${channelAccounts.failures} + 1`,
    })
    .where(and(eq(channelAccounts.id, id), eq(channelAccounts.leaseOwner, owner)));
}

export async function recordHealthy(db: DbOrTx, id: number) {
  await db.update(channelAccounts).set({ failures: 0 }).where(eq(channelAccounts.id, id));
}

export async function touchAccount(db: DbOrTx, id: number) {
  await db.update(channelAccounts).set({ lastActivityAt: new Date() }).where(eq(channelAccounts.id, id));
}
