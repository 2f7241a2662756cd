import { desc, eq, lt } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/index.js";
import { emailOutbox, queues } from "../../platform/db/schema/index.js";

export type TOutboxRow = typeof emailOutbox.$inferSelect;

/** Kept outgoing mail, newest first; `limit` rows at most. */
export async function findOutbox(db: DbOrTx, f: { beforeId?: number; limit: number }): Promise<TOutboxRow[]> {
  return db
    .select()
    .from(emailOutbox)
    .where(f.beforeId === undefined ? undefined : lt(emailOutbox.id, f.beforeId))
    .orderBy(desc(emailOutbox.id))
    .limit(f.limit);
}

export async function queueExists(db: DbOrTx, id: number): Promise<boolean> {
  const [row] = await db.select({ id: queues.id }).from(queues).where(eq(queues.id, id));
  return row !== undefined;
}

export async function findQueueIdBySlug(db: DbOrTx, slug: string): Promise<number | undefined> {
  const [row] = await db.select({ id: queues.id }).from(queues).where(eq(queues.slug, slug));
  return row?.id;
}
