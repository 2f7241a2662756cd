import { and, asc, eq, inArray, type SQL } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/index.js";
import { attachments, ticketEvents, ticketMessages, users } from "../../platform/db/schema/index.js";
import type { TActor } from "../auth/auth.actor.js";
import { findDeliveries, type TOutbound } from "../conversations/conversations.repository.js";
import { canSeeInternalNotes, messageAbilities } from "./tickets.policies.js";
import { presentAttachment, presentIso } from "./tickets.presenter.js";

/** Messages (and, for staff, notes) of one ticket, oldest first, with authors and attachments. */
export async function listTicketMessages(
  db: DbOrTx,
  actor: TActor,
  filter: { ticketId?: number; messageId?: number; kind?: "message" | "note" | "all"; limit?: number },
) {
  const where: SQL[] = [];
  if (filter.ticketId !== undefined) where.push(eq(ticketMessages.ticketId, filter.ticketId));
  if (filter.messageId !== undefined) where.push(eq(ticketMessages.id, filter.messageId));
  const kind = canSeeInternalNotes(actor) ? (filter.kind ?? "all") : "message";
  if (kind === "message") where.push(eq(ticketMessages.isInternal, false));
  if (kind === "note") where.push(eq(ticketMessages.isInternal, true));
  const rows = await db
    .select({
      id: ticketMessages.id,
      ticketId: ticketMessages.ticketId,
      body: ticketMessages.body,
      isInternal: ticketMessages.isInternal,
      source: ticketMessages.source,
      createdAt: ticketMessages.createdAt,
      updatedAt: ticketMessages.updatedAt,
      authorId: users.id,
      authorName: users.name,
      authorRole: users.role,
    })
    .from(ticketMessages)
    .innerJoin(users, eq(users.id, ticketMessages.authorId))
    .where(and(...where))
    .orderBy(asc(ticketMessages.id))
    .limit(filter.limit ?? 1000);
  const files =
    rows.length === 0
      ? []
      : await db
          .select()
          .from(attachments)
          .where(
            inArray(
              attachments.messageId,
              rows.map((r) => r.id),
            ),
          );
  // Staff see how each reply went back to the customer.
  const deliveries = canSeeInternalNotes(actor)
    ? await findDeliveries(
        db,
        rows.map((r) => r.id),
      )
    : new Map();
  return rows.map((r) => ({
    id: r.id,
    ticket_id: r.ticketId,
    author: { id: r.authorId, name: r.authorName, role: r.authorRole },
    text: r.body,
    is_internal: r.isInternal,
    source: r.source,
    created_at: presentIso(r.createdAt),
    updated_at: presentIso(r.updatedAt),
    attachments: files.filter((f) => f.messageId === r.id).map(presentAttachment),
    abilities: messageAbilities(actor, { author: { id: r.authorId } }),
    delivery: presentDelivery(deliveries.get(r.id)),
  }));
}
export type TMessageJson = Awaited<ReturnType<typeof listTicketMessages>>[number];

/** The ticket's history; requesters do not see rows about internal notes. */
export async function listTicketHistory(db: DbOrTx, actor: TActor, ticketId: number) {
  const where: SQL[] = [eq(ticketEvents.ticketId, ticketId)];
  if (!canSeeInternalNotes(actor)) where.push(eq(ticketEvents.isInternal, false));
  const rows = await db
    .select({
      id: ticketEvents.id,
      type: ticketEvents.type,
      data: ticketEvents.data,
      createdAt: ticketEvents.createdAt,
      actorId: users.id,
      actorName: users.name,
    })
    .from(ticketEvents)
    .leftJoin(users, eq(users.id, ticketEvents.actorId))
    .where(and(...where))
    .orderBy(asc(ticketEvents.id))
    .limit(2000);
  return rows.map((r) => ({
    id: r.id,
    type: r.type,
    actor: r.actorId == null ? null : { id: r.actorId, name: r.actorName ?? "" },
    data: r.data as Record<string, unknown> | null,
    created_at: presentIso(r.createdAt),
  }));
}

const presentDelivery = (d: TOutbound | undefined) =>
  d
    ? {
        channel: d.channel,
        state: d.state,
        attempts: d.attempts,
        last_error: d.lastError,
        sent_at: presentIso(d.sentAt),
      }
    : null;
