import { and, asc, eq, inArray, sql } from "drizzle-orm";
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

/**
 * The columns the admin API shows, named one by one: columns added to the table later are not
 * read until the API shows them.
 */
const ADMIN_COLUMNS = {
  id: channelAccounts.id,
  kind: channelAccounts.kind,
  name: channelAccounts.name,
  config: channelAccounts.config,
  isEnabled: channelAccounts.isEnabled,
  state: channelAccounts.state,
  lastError: channelAccounts.lastError,
  lastErrorAt: channelAccounts.lastErrorAt,
  lastActivityAt: channelAccounts.lastActivityAt,
  failures: channelAccounts.failures,
  leaseOwner: channelAccounts.leaseOwner,
  leaseUntil: channelAccounts.leaseUntil,
  createdAt: channelAccounts.createdAt,
  updatedAt: channelAccounts.updatedAt,
};

/** An account as the admin API reads it (config still sealed). */
export type TChannelAccountAdminRow = Pick<TChannelAccountRow, keyof typeof ADMIN_COLUMNS>;

/** Every account, or those of one kind, oldest first. */
export async function findChannelAccounts(
  db: DbOrTx,
  filter: { kind?: string } = {},
): Promise<TChannelAccountAdminRow[]> {
  return db
    .select(ADMIN_COLUMNS)
    .from(channelAccounts)
    .where(filter.kind === undefined ? undefined : eq(channelAccounts.kind, filter.kind))
    .orderBy(asc(channelAccounts.id));
}

export async function findChannelAccount(
  db: DbOrTx,
  id: number,
): Promise<TChannelAccountAdminRow | undefined> {
  const [row] = await db.select(ADMIN_COLUMNS).from(channelAccounts).where(eq(channelAccounts.id, id));
  return row;
}

/**
 * Starts or stops accounts in one UPDATE and returns those that exist. The runtime follows
 * `is_enabled` within a tick. `updated_at` (which restarts a receiver: "the config changed") is
 * left alone for a running account, and bumped for one in backoff or error, so that "start"
 * retries it now instead of after its backoff. Starting forgets earlier crashes (`failures`;
 * `last_error` is kept to be read). Stopping an account no worker holds marks it
 * stopped at once: no runtime would release it and say so.
 */
export async function setAccountsEnabled(
  db: DbOrTx,
  ids: readonly number[],
  isEnabled: boolean,
): Promise<TChannelAccountAdminRow[]> {
  if (ids.length === 0) return [];
  return db
    .update(channelAccounts)
    .set(
      isEnabled
        ? {
            isEnabled: true,
            failures: 0,
            updatedAt: sql`CASE WHEN ${channelAccounts.state} IN ('backoff', 'error') THEN now() ELSE ${channelAccounts.updatedAt} END`,
          }
        : {
            isEnabled: false,
            state: sql`CASE WHEN ${channelAccounts.leaseOwner} IS NULL OR ${channelAccounts.leaseUntil} < now() THEN 'stopped' ELSE ${channelAccounts.state} END`,
          },
    )
    .where(inArray(channelAccounts.id, [...ids]))
    .returning(ADMIN_COLUMNS);
}

/** The receiver's position, written only by the lease holder. */
export async function saveCursor(db: DbOrTx, id: number, owner: string, cursor: Record<string, unknown>) {
  await db
    .update(channelAccounts)
    .set({ cursor })
    .where(and(eq(channelAccounts.id, id), eq(channelAccounts.leaseOwner, owner)));
}

/** A trouble the running receiver retries by itself (or null: it works again). */
export async function reportAccountError(db: DbOrTx, id: number, owner: string, error: string | null) {
  await db
    .update(channelAccounts)
    .set(error === null ? { lastError: null } : { lastError: error.slice(0, 2000), lastErrorAt: new Date() })
    .where(and(eq(channelAccounts.id, id), eq(channelAccounts.leaseOwner, owner)));
}
