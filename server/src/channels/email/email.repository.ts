import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/index.js";
import { emailOutbox, inboundEmails, mailboxes, queues } from "../../platform/db/schema/index.js";

export type TMailboxRow = typeof mailboxes.$inferSelect;
export type TOutboxRow = typeof emailOutbox.$inferSelect;
export type TInboundRow = typeof inboundEmails.$inferSelect;

/** Kept outgoing mail, newest first; `limit` rows at most. */
export async function findOutbox(db: DbOrTx, f: { beforeId?: number; limit: number }): Promise<TOutboxRow[]> {
  return db
    .select()
    .from(emailOutbox)
    .where(f.beforeId === undefined ? undefined : lt(emailOutbox.id, f.beforeId))
    .orderBy(desc(emailOutbox.id))
    .limit(f.limit);
}

export async function findMailboxes(db: DbOrTx): Promise<TMailboxRow[]> {
  return db.select().from(mailboxes).orderBy(mailboxes.id);
}

export async function findMailboxById(db: DbOrTx, id: number): Promise<TMailboxRow | undefined> {
  const [row] = await db.select().from(mailboxes).where(eq(mailboxes.id, id));
  return row;
}

export async function insertMailbox(db: DbOrTx, values: typeof mailboxes.$inferInsert): Promise<TMailboxRow> {
  const [row] = await db.insert(mailboxes).values(values).returning();
  return row!;
}

export async function updateMailboxRow(
  db: DbOrTx,
  id: number,
  changes: Partial<typeof mailboxes.$inferInsert>,
): Promise<TMailboxRow | undefined> {
  const [row] = await db.update(mailboxes).set(changes).where(eq(mailboxes.id, id)).returning();
  return row;
}

export async function deleteMailboxRow(db: DbOrTx, id: number) {
  await db.delete(mailboxes).where(eq(mailboxes.id, id));
}

export async function queueExists(db: DbOrTx, id: number): Promise<boolean> {
  const [row] = await db.select({ id: queues.id }).from(queues).where(eq(queues.id, id));
  return row !== undefined;
}

export async function findQueueIdBySlug(db: DbOrTx, slug: string): Promise<number | undefined> {
  const [row] = await db.select({ id: queues.id }).from(queues).where(eq(queues.slug, slug));
  return row?.id;
}

/** The inbound log, newest first; `limit` rows at most. */
export async function findInbound(
  db: DbOrTx,
  f: { mailboxId?: number; status?: TInboundRow["status"]; beforeId?: number; limit: number },
): Promise<TInboundRow[]> {
  const where: SQL[] = [];
  if (f.mailboxId) where.push(eq(inboundEmails.mailboxId, f.mailboxId));
  if (f.status) where.push(eq(inboundEmails.status, f.status));
  if (f.beforeId !== undefined) where.push(lt(inboundEmails.id, f.beforeId));
  return db
    .select()
    .from(inboundEmails)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(inboundEmails.id))
    .limit(f.limit);
}
