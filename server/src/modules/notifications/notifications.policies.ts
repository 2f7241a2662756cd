import { type SQL, sql } from "drizzle-orm";
import { notifications } from "../../platform/db/schema/index.js";
import type { TActor } from "../auth/auth.actor.js";
import { canSeeInternalNotes, ticketVisibilitySql } from "../tickets/tickets.policies.js";

/** The delivery log shows every user's notifications: admins only. */
export const canViewDeliveryLog = (a: Pick<TActor, "role">): boolean => a.role === "admin";

/**
 * A stored in-app notification is shown only while its reader may still see its ticket (and,
 * for a note, notes): one about a ticket that moved to another department stays hidden.
 */
export const canSeeNotification = (
  a: TActor,
  n: { kind: string; ticketId: number | null },
  canViewTicket: boolean,
): boolean => (n.ticketId === null || canViewTicket) && (n.kind !== "new_note" || canSeeInternalNotes(a));

/** The same rule as SQL over `notifications`, for lists and counts. */
export function notificationVisibilitySql(a: TActor): SQL {
  const notes = canSeeInternalNotes(a) ? sql`true` : sql`${notifications.kind} <> 'new_note'`;
  return sql`(${notifications.ticketId} IS NULL OR EXISTS (
    SELECT 1 FROM tickets t WHERE t.id = ${notifications.ticketId} AND ${ticketVisibilitySql(a)}))
    AND ${notes}`;
}
