import type { TDeliveryStatus, TNotificationChannel, TNotificationPreferences } from "@helpdesk/contracts";
import { and, desc, eq, isNull, lt, type SQL, sql } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/index.js";
import {
  notificationDeliveries,
  notifications,
  ticketWatchers,
  users,
} from "../../platform/db/schema/index.js";
import type { TActor } from "../auth/auth.actor.js";
import { notificationVisibilitySql } from "./notifications.policies.js";

export type TNotificationRow = typeof notifications.$inferSelect;
export type TDeliveryRow = typeof notificationDeliveries.$inferSelect;

/** The actor's notifications they may still see, newest first; `limit` rows at most. */
export async function findVisibleNotifications(
  db: DbOrTx,
  actor: TActor,
  f: { unreadOnly: boolean; beforeId?: number; limit: number },
): Promise<TNotificationRow[]> {
  const where: SQL[] = [eq(notifications.userId, actor.id), notificationVisibilitySql(actor)];
  if (f.unreadOnly) where.push(isNull(notifications.readAt));
  if (f.beforeId !== undefined) where.push(lt(notifications.id, f.beforeId));
  return db
    .select()
    .from(notifications)
    .where(and(...where))
    .orderBy(desc(notifications.id))
    .limit(f.limit);
}

export async function countVisibleUnread(db: DbOrTx, actor: TActor): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(notifications)
    .where(
      and(eq(notifications.userId, actor.id), isNull(notifications.readAt), notificationVisibilitySql(actor)),
    );
  return Number(row?.n ?? 0);
}

/** Marks one of the user's notifications read (kept if already read); undefined when it is not theirs. */
export async function markNotificationRead(db: DbOrTx, userId: number, id: number) {
  const [row] = await db
    .update(notifications)
    .set({ readAt: sql`coalesce(${notifications.readAt}, now())` })
    .where(and(eq(notifications.id, id), eq(notifications.userId, userId)))
    .returning();
  return row;
}

/** Marks every unread notification of the user read; returns how many. */
export async function markAllNotificationsRead(db: DbOrTx, userId: number): Promise<number> {
  const rows = await db
    .update(notifications)
    .set({ readAt: new Date() })
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)))
    .returning({ id: notifications.id });
  return rows.length;
}

/** The stored notification preferences (any shape: callers resolve them over the defaults). */
export async function findStoredPreferences(db: DbOrTx, userId: number): Promise<unknown> {
  const [u] = await db.select({ preferences: users.preferences }).from(users).where(eq(users.id, userId));
  return (u?.preferences as { notifications?: unknown } | null)?.notifications;
}

/** Replaces the notification part of the user's preferences, keeping the rest. */
export async function saveStoredPreferences(
  db: DbOrTx,
  userId: number,
  preferences: TNotificationPreferences,
) {
  await db
    .update(users)
    .set({
      preferences: sql`jsonb_set(coalesce(${users.preferences}, '{}'::jsonb), '{notifications}', ${JSON.stringify(preferences)}::jsonb)`,
      updatedAt: new Date(),
    })
    .where(eq(users.id, userId));
}

export async function insertWatcher(db: DbOrTx, ticketId: number, userId: number) {
  await db.insert(ticketWatchers).values({ ticketId, userId }).onConflictDoNothing();
}

export async function deleteWatcher(db: DbOrTx, ticketId: number, userId: number) {
  await db
    .delete(ticketWatchers)
    .where(and(eq(ticketWatchers.ticketId, ticketId), eq(ticketWatchers.userId, userId)));
}

export type TDeliveryFilter = {
  status?: TDeliveryStatus;
  channel?: TNotificationChannel;
  eventId?: number;
  ticketId?: number;
  beforeId?: number;
  limit: number;
};

/** The delivery log, newest first, with each recipient's e-mail; `limit` rows at most. */
export async function findDeliveries(db: DbOrTx, f: TDeliveryFilter) {
  const where: SQL[] = [];
  if (f.status) where.push(eq(notificationDeliveries.status, f.status));
  if (f.channel) where.push(eq(notificationDeliveries.channel, f.channel));
  if (f.eventId) where.push(eq(notificationDeliveries.eventId, f.eventId));
  if (f.ticketId) where.push(eq(notificationDeliveries.ticketId, f.ticketId));
  if (f.beforeId !== undefined) where.push(lt(notificationDeliveries.id, f.beforeId));
  return db
    .select({ delivery: notificationDeliveries, email: users.email })
    .from(notificationDeliveries)
    .innerJoin(users, eq(users.id, notificationDeliveries.userId))
    .where(where.length > 0 ? and(...where) : undefined)
    .orderBy(desc(notificationDeliveries.id))
    .limit(f.limit);
}
