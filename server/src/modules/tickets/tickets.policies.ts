import { TICKET_STATUSES, type TTicketAbilities, type TTicketStatus } from "@helpdesk/contracts";
import { type SQL, sql } from "drizzle-orm";
import { idArray } from "../../platform/db/id-array.js";
import type { TActor } from "../auth/auth.actor.js";

/** The facts about a ticket that access rules look at. */
export type TTicketAccess = {
  requesterId: number;
  assigneeId: number | null;
  queueId: number;
  status: TTicketStatus;
};

/**
 * Who sees what, in one place. A requester: their own tickets. An executor: assigned to them
 * plus their departments' queues. An operator: their departments' queues. An admin: all.
 */
export const canViewTicket = (a: TActor, t: TTicketAccess): boolean => {
  switch (a.role) {
    case "admin":
      return true;
    case "requester":
      return t.requesterId === a.id;
    case "executor":
      return t.assigneeId === a.id || a.queueIds.includes(t.queueId);
    case "operator":
      return a.queueIds.includes(t.queueId);
  }
};

/** The same rule as SQL over the `tickets` table aliased `t`, for lists and search. */
export const ticketVisibilitySql = (a: TActor): SQL => {
  const queues = idArray(a.queueIds, "int");
  switch (a.role) {
    case "admin":
      return sql`true`;
    case "requester":
      return sql`t.requester_id = ${a.id}`;
    case "executor":
      return sql`(t.assignee_id = ${a.id} OR t.queue_id = ANY(${queues}))`;
    case "operator":
      return sql`t.queue_id = ANY(${queues})`;
  }
};

export const canSeeInternalNotes = (a: TActor): boolean => a.role !== "requester";
/** Seed S2's "assigned to me" list: staff who can be assigned (operators and admins see theirs too). */
export const canListAssignedToMe = (a: TActor): boolean => a.role !== "requester";
/** Seed S2's "all tickets" list: dispatchers (the rows are still filtered by visibility). */
export const canListAllTickets = (a: TActor): boolean => a.role === "operator" || a.role === "admin";
/** Staff file tickets for a requester (phone, walk-in); a requester files only for themself. */
export const canFileOnBehalf = (a: TActor): boolean => a.role !== "requester";
/** The author edits or deletes their own message or note; an admin any. */
export const canEditMessage = (a: TActor, m: { author: { id: number } | null }): boolean =>
  a.role === "admin" || (m.author !== null && m.author.id === a.id);
export const messageAbilities = (a: TActor, m: { author: { id: number } | null }) => ({
  can_edit: canEditMessage(a, m),
  can_delete: canEditMessage(a, m),
});
export const canWriteNote = (a: TActor, t: TTicketAccess): boolean =>
  canSeeInternalNotes(a) && canViewTicket(a, t);
export const canReply = (a: TActor, t: TTicketAccess): boolean => canViewTicket(a, t);

/** Operators and admins dispatch: assign anyone, or no one. */
export const canDispatch = (a: TActor, t: TTicketAccess): boolean =>
  canViewTicket(a, t) && (a.role === "admin" || a.role === "operator");

/** Operators and admins assign anyone; an executor may only take a ticket for themself. */
export const canAssign = (a: TActor, t: TTicketAccess, executorId: number | null): boolean =>
  canDispatch(a, t) ||
  (canViewTicket(a, t) && a.role === "executor" && executorId === a.id && t.assigneeId === null);

/** Title, description, priority, category, queue. A requester may correct their own open request's text. */
export const canEditFields = (a: TActor, t: TTicketAccess, fields: string[]): boolean => {
  if (!canViewTicket(a, t)) return false;
  if (a.role === "admin" || a.role === "operator") return true;
  if (a.role === "executor") return t.assigneeId === a.id && !fields.includes("queue_id");
  return t.status !== "closed" && fields.every((f) => f === "title" || f === "description");
};

/**
 * Status moves (S2: the executor works and executes; the operator dispatches). A requester may
 * close their own request or reopen it.
 */
export const canChangeStatus = (a: TActor, t: TTicketAccess, to: TTicketStatus): boolean => {
  if (!canViewTicket(a, t)) return false;
  if (a.role === "admin" || a.role === "operator") return true;
  if (a.role === "executor") return t.assigneeId === a.id;
  return to === "closed" || (t.status === "closed" && to === "open");
};

/** Seed S2's execute: the assigned executor (or an admin) completes and closes the ticket. */
export const canExecute = (a: TActor, t: TTicketAccess): boolean =>
  canViewTicket(a, t) && (a.role === "admin" || (a.role === "executor" && t.assigneeId === a.id));

export const canDeleteTicket = (a: TActor): boolean => a.role === "admin";

/** Everything the actor may do with the ticket, for clients to show the right actions. */
export const ticketAbilities = (a: TActor, t: TTicketAccess): TTicketAbilities => ({
  can_edit: canEditFields(a, t, ["title", "description"]),
  can_edit_fields: canEditFields(a, t, ["priority_id", "category_id"]),
  can_change_queue: canEditFields(a, t, ["queue_id"]),
  can_change_status_to: TICKET_STATUSES.filter((to) => to !== t.status && canChangeStatus(a, t, to)),
  can_assign: canDispatch(a, t),
  can_take: a.role === "executor" && canAssign(a, t, a.id),
  can_execute: canExecute(a, t) && t.status !== "closed",
  can_reply: canReply(a, t),
  can_write_note: canWriteNote(a, t),
  can_delete: canDeleteTicket(a),
});
