import type { TNotificationPage, TNotificationPreferences } from "@helpdesk/contracts";
import type { DbOrTx } from "../../platform/db/index.js";
import { createNotFoundError } from "../../platform/errors.js";
import type { TActor } from "../auth/auth.actor.js";
import { createTicketNotFoundError } from "../tickets/tickets.errors.js";
import { canViewTicket } from "../tickets/tickets.policies.js";
import { findTicketRow } from "../tickets/tickets.repository.js";
import { presentNotification } from "./notifications.engine.js";
import { resolvePreferences } from "./notifications.preferences.js";
import { presentDelivery } from "./notifications.presenter.js";
import {
  countVisibleUnread,
  deleteWatcher,
  findDeliveries,
  findStoredPreferences,
  findVisibleNotifications,
  insertWatcher,
  markAllNotificationsRead,
  markNotificationRead,
  saveStoredPreferences,
  type TDeliveryFilter,
} from "./notifications.repository.js";

export const createNotificationNotFoundError = () =>
  createNotFoundError("notifications.not_found", "Notification not found");

/** A page of the actor's notifications they may still see, the id to continue before, and the unread count. */
export async function listNotifications(
  db: DbOrTx,
  actor: TActor,
  query: { unreadOnly: boolean; beforeId?: number; limit: number },
): Promise<Omit<TNotificationPage, "next"> & { lastId: number | null }> {
  const rows = await findVisibleNotifications(db, actor, { ...query, limit: query.limit + 1 });
  const page = rows.slice(0, query.limit);
  return {
    results: page.map(presentNotification),
    lastId: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null,
    unread_count: await countVisibleUnread(db, actor),
  };
}

export async function markRead(db: DbOrTx, actor: TActor, id: number) {
  const row = await markNotificationRead(db, actor.id, id);
  if (!row) throw createNotificationNotFoundError();
  return presentNotification(row);
}

export async function markAllRead(db: DbOrTx, actor: TActor) {
  return { updated: await markAllNotificationsRead(db, actor.id), unread_count: 0 };
}

export async function getPreferences(db: DbOrTx, actor: TActor): Promise<TNotificationPreferences> {
  return resolvePreferences(await findStoredPreferences(db, actor.id));
}

export async function replacePreferences(db: DbOrTx, actor: TActor, preferences: TNotificationPreferences) {
  await saveStoredPreferences(db, actor.id, preferences);
  return preferences;
}

/** Follows a ticket the actor may see (`tickets.not_found` otherwise); following twice is fine. */
export async function watchTicket(db: DbOrTx, actor: TActor, ticketId: number) {
  const t = await findTicketRow(db, ticketId);
  if (
    !t ||
    !canViewTicket(actor, {
      requesterId: t.requester_id,
      assigneeId: t.assignee_id,
      queueId: t.queue_id,
      status: t.status,
    })
  ) {
    throw createTicketNotFoundError();
  }
  await insertWatcher(db, ticketId, actor.id);
  return { watching: true };
}

export async function unwatchTicket(db: DbOrTx, actor: TActor, ticketId: number) {
  await deleteWatcher(db, ticketId, actor.id);
  return { watching: false };
}

/** A page of the delivery log and the id to continue before. */
export async function listDeliveries(db: DbOrTx, filter: TDeliveryFilter) {
  const rows = await findDeliveries(db, { ...filter, limit: filter.limit + 1 });
  const page = rows.slice(0, filter.limit);
  return {
    results: page.map(({ delivery, email }) => presentDelivery(delivery, email)),
    lastId: rows.length > filter.limit ? (page.at(-1)?.delivery.id ?? null) : null,
  };
}
