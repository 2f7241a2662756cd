import { and, desc, eq, inArray, isNull, ne, or, type SQL, sql } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/index.js";
import {
  type INBOUND_ITEM_STATUSES,
  inboundItems,
  outboundMessages,
  threadBindings,
  ticketMessages,
  tickets,
  users,
} from "../../platform/db/schema/index.js";

export type TBinding = typeof threadBindings.$inferSelect;
export type TOutbound = typeof outboundMessages.$inferSelect;
export type TInboundItemRow = typeof inboundItems.$inferSelect;
export type TInboundStatus = (typeof INBOUND_ITEM_STATUSES)[number];

type TInboundKey = {
  channel: string;
  accountId: number | null;
  externalId: string | null;
  deliveryKey: string | null;
};

const accountIs = (accountId: number | null) =>
  accountId === null ? isNull(inboundItems.accountId) : eq(inboundItems.accountId, accountId);

/** A message already received: the same channel id, or the same receipt of the account. */
export async function findInboundItem(db: DbOrTx, k: TInboundKey): Promise<{ id: number } | undefined> {
  const keys: SQL[] = [];
  if (k.externalId !== null)
    keys.push(and(eq(inboundItems.channel, k.channel), eq(inboundItems.externalId, k.externalId))!);
  if (k.deliveryKey !== null)
    keys.push(and(accountIs(k.accountId), eq(inboundItems.deliveryKey, k.deliveryKey))!);
  if (keys.length === 0) return undefined;
  const [row] = await db
    .select({ id: inboundItems.id })
    .from(inboundItems)
    .where(or(...keys))
    .limit(1);
  return row;
}

/** Writes the inbound record; null when one with the same keys exists (a concurrent delivery). */
export async function insertInboundItem(
  db: DbOrTx,
  item: TInboundKey & Omit<typeof inboundItems.$inferInsert, keyof TInboundKey>,
): Promise<number | null> {
  const [row] = await db
    .insert(inboundItems)
    .values(item)
    .onConflictDoNothing()
    .returning({ id: inboundItems.id });
  return row?.id ?? null;
}

export async function updateInboundItem(
  db: DbOrTx,
  id: number,
  changes: Partial<typeof inboundItems.$inferInsert>,
): Promise<void> {
  await db.update(inboundItems).set(changes).where(eq(inboundItems.id, id));
}

/** The inbound log, newest first; `limit` rows at most. */
export async function findInboundItems(
  db: DbOrTx,
  f: { channel?: string; accountId?: number; status?: TInboundStatus; beforeId?: number; limit: number },
): Promise<TInboundItemRow[]> {
  const where: SQL[] = [];
  if (f.channel) where.push(eq(inboundItems.channel, f.channel));
  if (f.accountId) where.push(eq(inboundItems.accountId, f.accountId));
  if (f.status) where.push(eq(inboundItems.status, f.status));
  if (f.beforeId !== undefined) where.push(sql`${inboundItems.id} < ${f.beforeId}`);
  return db
    .select()
    .from(inboundItems)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(inboundItems.id))
    .limit(f.limit);
}

/** The latest ticket of a thread that is still open: where a chat's next message goes. */
export async function findBoundOpenTicket(
  db: DbOrTx,
  channel: string,
  accountId: number | null,
  externalThreadId: string,
): Promise<number | null> {
  const [row] = await db
    .select({ id: tickets.id })
    .from(threadBindings)
    .innerJoin(tickets, eq(tickets.id, threadBindings.ticketId))
    .where(
      and(
        eq(threadBindings.channel, channel),
        accountId === null ? isNull(threadBindings.accountId) : eq(threadBindings.accountId, accountId),
        eq(threadBindings.externalThreadId, externalThreadId),
        ne(tickets.status, "closed"),
      ),
    )
    .orderBy(desc(threadBindings.lastInboundAt), desc(tickets.id))
    .limit(1);
  return row?.id ?? null;
}

/** What deciding whether a sender may add to a ticket needs. */
export async function findThreadTarget(db: DbOrTx, ticketId: number) {
  const [row] = await db
    .select({
      id: tickets.id,
      requesterId: tickets.requesterId,
      assigneeId: tickets.assigneeId,
      queueId: tickets.queueId,
      status: tickets.status,
    })
    .from(tickets)
    .where(eq(tickets.id, ticketId));
  return row;
}

/** Records (or refreshes) where the customer wrote from: replies go back the way they came. */
export async function upsertBinding(
  tx: DbOrTx,
  b: {
    ticketId: number;
    channel: string;
    accountId: number | null;
    externalThreadId: string;
    contactUserId: number;
  },
): Promise<void> {
  await tx.execute(sql`
    INSERT INTO thread_bindings (ticket_id, channel, account_id, external_thread_id, contact_user_id)
    VALUES (${b.ticketId}, ${b.channel}, ${b.accountId}, ${b.externalThreadId}, ${b.contactUserId})
    ON CONFLICT (ticket_id, channel, coalesce(account_id, 0), external_thread_id)
    DO UPDATE SET last_inbound_at = now(), contact_user_id = excluded.contact_user_id`);
}

/**
 * Forgets where a person was reached on a channel (they unlinked it): staff replies to their
 * requests reach them by notification again instead of through that channel.
 */
export async function deleteContactBindings(tx: DbOrTx, channel: string, contactUserId: number) {
  await tx
    .delete(threadBindings)
    .where(and(eq(threadBindings.channel, channel), eq(threadBindings.contactUserId, contactUserId)));
}

/** The binding a reply goes through: the one the customer used last. */
export async function findReplyBinding(db: DbOrTx, ticketId: number): Promise<TBinding | undefined> {
  const [row] = await db
    .select()
    .from(threadBindings)
    .where(eq(threadBindings.ticketId, ticketId))
    .orderBy(desc(threadBindings.lastInboundAt), desc(threadBindings.id))
    .limit(1);
  return row;
}

/** Which of these tickets came in on a channel (have a thread binding). */
export async function ticketsWithBinding(db: DbOrTx, ticketIds: number[]): Promise<Set<number>> {
  if (ticketIds.length === 0) return new Set();
  const rows = await db
    .selectDistinct({ ticketId: threadBindings.ticketId })
    .from(threadBindings)
    .where(inArray(threadBindings.ticketId, [...new Set(ticketIds)]));
  return new Set(rows.map((r) => r.ticketId));
}

/** What a reply needs: the message, its ticket and author. */
export async function findReplyFacts(db: DbOrTx, messageId: number) {
  const [row] = await db
    .select({
      id: ticketMessages.id,
      text: ticketMessages.body,
      isInternal: ticketMessages.isInternal,
      ticketId: tickets.id,
      ticketTitle: tickets.title,
      authorName: users.name,
    })
    .from(ticketMessages)
    .innerJoin(tickets, eq(tickets.id, ticketMessages.ticketId))
    .innerJoin(users, eq(users.id, ticketMessages.authorId))
    .where(eq(ticketMessages.id, messageId));
  return row;
}

export async function findContact(db: DbOrTx, userId: number) {
  const [row] = await db
    .select({ id: users.id, name: users.name, email: users.email, language: users.language })
    .from(users)
    .where(eq(users.id, userId));
  return row;
}

/** The outbound row of a message through a binding, created queued on first sight. */
export async function ensureOutbound(db: DbOrTx, messageId: number, binding: TBinding): Promise<TOutbound> {
  await db
    .insert(outboundMessages)
    .values({ messageId, bindingId: binding.id, channel: binding.channel })
    .onConflictDoNothing();
  const [row] = await db
    .select()
    .from(outboundMessages)
    .where(and(eq(outboundMessages.messageId, messageId), eq(outboundMessages.bindingId, binding.id)));
  return row!;
}

export async function markSent(db: DbOrTx, id: number, externalId: string | undefined) {
  await db
    .update(outboundMessages)
    .set({
      state: "sent",
      attempts: sql`${outboundMessages.attempts} + 1`,
      externalId: externalId ?? null,
      lastError: null,
      sentAt: new Date(),
      updatedAt: new Date(),
    })
    .where(eq(outboundMessages.id, id));
}

/** One failed attempt; returns how many there have been. */
export async function markAttemptFailed(db: DbOrTx, id: number, error: string, final: boolean) {
  const [row] = await db
    .update(outboundMessages)
    .set({
      state: final ? "failed" : "retrying",
      attempts: sql`${outboundMessages.attempts} + 1`,
      lastError: error.slice(0, 2000),
      updatedAt: new Date(),
    })
    .where(eq(outboundMessages.id, id))
    .returning({ attempts: outboundMessages.attempts });
  return row?.attempts ?? 0;
}

/** Staff asked to try again: a fresh round of attempts. */
export async function requeueOutbound(db: DbOrTx, messageId: number): Promise<TOutbound[]> {
  return db
    .update(outboundMessages)
    .set({ state: "queued", attempts: 0, updatedAt: new Date() })
    .where(
      and(eq(outboundMessages.messageId, messageId), inArray(outboundMessages.state, ["failed", "retrying"])),
    )
    .returning();
}

/** Delivery states of messages, for the conversation view (the latest row per message). */
export async function findDeliveries(db: DbOrTx, messageIds: number[]): Promise<Map<number, TOutbound>> {
  if (messageIds.length === 0) return new Map();
  const rows = await db
    .select()
    .from(outboundMessages)
    .where(inArray(outboundMessages.messageId, messageIds))
    .orderBy(outboundMessages.id);
  return new Map(rows.map((r) => [r.messageId, r]));
}
