import type { TLanguage } from "@helpdesk/contracts";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { AppContext } from "../../app-context.js";
import { deleteInBatches, SWEEP_BATCH, yieldToOthers } from "../../platform/db/batches.js";
import type { DbOrTx } from "../../platform/db/index.js";
import {
  notificationDeliveries,
  notificationFanouts,
  notifications,
  queues,
  ticketEvents,
  ticketMessages,
  tickets,
  ticketWatchers,
  userDepartments,
  users,
} from "../../platform/db/schema/index.js";
import type { TActor } from "../auth/auth.actor.js";
import { findActorsByIds } from "../auth/auth.repository.js";
import { hasBinding } from "../conversations/conversations.repository.js";
import { canSeeInternalNotes, canViewTicket, type TTicketAccess } from "../tickets/tickets.policies.js";
import {
  resolvePreferences,
  type TNotificationChannel,
  type TNotificationKind,
} from "./notifications.preferences.js";
import { usersWithSubscriptions } from "./notifications.push.js";
import { describeNotification, type TNotificationFacts } from "./notifications.texts.js";

export const FAN_OUT_JOB = "notifications.fan-out";
export const DELIVER_JOB = "notifications.deliver";

/** Which preference an event falls under; null for events nobody is told about. */
export function kindOfEvent(type: string, data: Record<string, unknown>): TNotificationKind | null {
  switch (type) {
    case "created":
      return "ticket_created";
    case "assigned":
      return "ticket_assigned";
    case "status_changed":
      return data.to === "closed" ? "ticket_closed" : "status_changed";
    case "message":
      return "new_message";
    case "note":
      return "new_note";
    default:
      return null;
  }
}

export type TEventContext = {
  eventId: number;
  type: string;
  kind: TNotificationKind | null;
  isInternal: boolean;
  actorId: number | null;
  data: Record<string, unknown>;
  ticket: TTicketAccess & {
    id: number;
    title: string;
    departmentId: number | null;
  };
  facts: TNotificationFacts | null;
};

/** Reads an event with what its notifications say (ticket, actor, message text). */
export async function loadEventContext(db: DbOrTx, eventId: number): Promise<TEventContext | null> {
  const [row] = await db
    .select({
      id: ticketEvents.id,
      type: ticketEvents.type,
      data: ticketEvents.data,
      isInternal: ticketEvents.isInternal,
      actorId: ticketEvents.actorId,
      ticketId: tickets.id,
      title: tickets.title,
      description: tickets.description,
      requesterId: tickets.requesterId,
      assigneeId: tickets.assigneeId,
      queueId: tickets.queueId,
      status: tickets.status,
      departmentId: queues.departmentId,
    })
    .from(ticketEvents)
    .innerJoin(tickets, eq(tickets.id, ticketEvents.ticketId))
    .innerJoin(queues, eq(queues.id, tickets.queueId))
    .where(eq(ticketEvents.id, eventId));
  if (!row) return null;
  const data = (row.data ?? {}) as Record<string, unknown>;
  const kind = kindOfEvent(row.type, data);
  const ticket = {
    id: row.ticketId,
    title: row.title,
    requesterId: row.requesterId,
    assigneeId: row.assigneeId,
    queueId: row.queueId,
    status: row.status,
    departmentId: row.departmentId,
  };
  const base = {
    eventId: row.id,
    type: row.type,
    kind,
    isInternal: row.isInternal,
    actorId: row.actorId,
    data,
    ticket,
  };
  if (!kind) return { ...base, facts: null };
  let actorName: string | null = null;
  if (row.actorId !== null) {
    const [a] = await db.select({ name: users.name }).from(users).where(eq(users.id, row.actorId));
    actorName = a?.name ?? null;
  }
  let text: string | undefined;
  if ((kind === "new_message" || kind === "new_note") && typeof data.message_id === "number") {
    const [m] = await db
      .select({ body: ticketMessages.body })
      .from(ticketMessages)
      .where(eq(ticketMessages.id, data.message_id));
    text = m?.body;
  } else if (kind === "ticket_created") {
    text = row.description || undefined;
  }
  const facts: TNotificationFacts = {
    kind,
    ticketId: row.ticketId,
    ticketTitle: row.title,
    actorName,
    text: text?.slice(0, 4000),
    ...(kind === "status_changed" || kind === "ticket_closed"
      ? { statusFrom: String(data.from ?? ""), statusTo: String(data.to ?? "") }
      : {}),
    ...(kind === "ticket_assigned"
      ? { assigneeName: typeof data.to_name === "string" ? data.to_name : null }
      : {}),
  };
  return { ...base, facts };
}

/** Operators of the queue's department (all operators when the queue has none). */
async function queueOperators(db: DbOrTx, departmentId: number | null): Promise<number[]> {
  const rows =
    departmentId === null
      ? await db
          .select({ id: users.id })
          .from(users)
          .where(and(eq(users.role, "operator"), eq(users.isActive, true)))
      : await db
          .select({ id: users.id })
          .from(users)
          .innerJoin(userDepartments, eq(userDepartments.userId, users.id))
          .where(
            and(
              eq(userDepartments.departmentId, departmentId),
              eq(users.role, "operator"),
              eq(users.isActive, true),
            ),
          );
  return rows.map((r) => r.id);
}

/**
 * Who hears about an event: requester (never for internal events), assignee, watchers, and the
 * queue's operators for new tickets (and for a requester's reply nobody is assigned to). Never
 * the actor; never an inactive user; never anyone who may not see the ticket *now* (it moved
 * to another queue, they changed role or department) or, for a note, who may not see notes.
 * A watcher who lost access stops watching.
 */
export async function findRecipients(db: DbOrTx, ev: TEventContext) {
  if (!ev.kind) return [];
  const ids = new Set<number>();
  const t = ev.ticket;
  if (!ev.isInternal) ids.add(t.requesterId);
  const assignee =
    ev.kind === "ticket_assigned" && typeof ev.data.to === "number" ? ev.data.to : t.assigneeId;
  if (assignee !== null) ids.add(assignee);
  const watchers = await db
    .select({ id: ticketWatchers.userId })
    .from(ticketWatchers)
    .where(eq(ticketWatchers.ticketId, t.id));
  for (const w of watchers) ids.add(w.id);
  const requesterReplyUnassigned =
    ev.kind === "new_message" && ev.actorId === t.requesterId && assignee === null;
  if (ev.kind === "ticket_created" || requesterReplyUnassigned) {
    for (const id of await queueOperators(db, t.departmentId)) ids.add(id);
  }
  if (ev.actorId !== null) ids.delete(ev.actorId);
  if (ids.size === 0) return [];
  const actors = await findActorsByIds(db, [...ids]);
  const allowed = actors.filter((a) => a.isActive && mayBeToldAbout(a, ev));
  const lostAccess = watchers.filter((w) => !allowed.some((a) => a.id === w.id) && w.id !== ev.actorId);
  if (lostAccess.length > 0) {
    // Only those who can no longer see the ticket at all stop watching (not staff skipped for a note).
    const blind = actors.filter((a) => !a.isActive || !canViewTicket(a, t)).map((a) => a.id);
    const drop = lostAccess.map((w) => w.id).filter((id) => blind.includes(id));
    if (drop.length > 0)
      await db
        .delete(ticketWatchers)
        .where(and(eq(ticketWatchers.ticketId, t.id), inArray(ticketWatchers.userId, drop)));
  }
  if (allowed.length === 0) return [];
  const rows = await db
    .select({ id: users.id, email: users.email, preferences: users.preferences })
    .from(users)
    .where(
      inArray(
        users.id,
        allowed.map((a) => a.id),
      ),
    );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return allowed.map((a) => ({
    id: a.id,
    role: a.role,
    language: a.language,
    email: byId.get(a.id)?.email ?? a.email,
    preferences: byId.get(a.id)?.preferences ?? {},
  }));
}

/** Whether this person may learn of this event now: they may see the ticket, and notes if it is one. */
export const mayBeToldAbout = (actor: TActor, ev: Pick<TEventContext, "ticket" | "isInternal">): boolean =>
  canViewTicket(actor, ev.ticket) && (!ev.isInternal || canSeeInternalNotes(actor));

/** Work in flight in this process (tests wait for it). */
const inFlight = new Set<Promise<unknown>>();
export function trackNotificationWork<T>(p: Promise<T>): Promise<T> {
  inFlight.add(p);
  void p.finally(() => inFlight.delete(p)).catch(() => {});
  return p;
}
/** Resolves when this process has no fan-out in flight. */
export async function waitForNotificationsIdle(): Promise<void> {
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
}

/**
 * Fans one ticket event out: decides recipients and channels, writes one delivery row per
 * event × user × channel (the idempotency key) and the in-app notifications in one
 * transaction, then queues the e-mail and push deliveries. Running it twice for one event does
 * nothing the second time (the `notification_fanouts` row).
 */
export async function fanOutEvent(
  ctx: Pick<AppContext, "db" | "bus" | "jobs" | "logger">,
  eventId: number,
): Promise<{ recipients: number; queued: number } | null> {
  const result = await ctx.db.transaction(async (tx) => {
    const marked = await tx
      .insert(notificationFanouts)
      .values({ eventId })
      .onConflictDoNothing()
      .returning({ eventId: notificationFanouts.eventId });
    if (marked.length === 0) return null;
    const ev = await loadEventContext(tx, eventId);
    if (!ev?.kind || !ev.facts) return { recipients: 0, created: [], external: [] };
    const facts = ev.facts;
    const kind = ev.kind;
    const people = await findRecipients(tx, ev);
    const withPush = await usersWithSubscriptions(
      { db: tx as never },
      people.map((p) => p.id),
    );
    const rows: {
      eventId: number;
      userId: number;
      channel: TNotificationChannel;
      kind: string;
      ticketId: number;
    }[] = [];
    // A staff reply on a ticket that came in on a channel reaches its requester there as the
    // reply itself (conversations); an e-mail notification about it would say it twice.
    const repliedOnChannel = kind === "new_message" && (await hasBinding(tx, ev.ticket.id));
    for (const p of people) {
      const prefs = resolvePreferences((p.preferences as { notifications?: unknown } | null)?.notifications)
        .events[kind];
      if (prefs.in_app) rows.push({ eventId, userId: p.id, channel: "in_app", kind, ticketId: ev.ticket.id });
      if (prefs.email && p.email && !(repliedOnChannel && p.id === ev.ticket.requesterId))
        rows.push({ eventId, userId: p.id, channel: "email", kind, ticketId: ev.ticket.id });
      if (prefs.web_push && withPush.has(p.id))
        rows.push({ eventId, userId: p.id, channel: "web_push", kind, ticketId: ev.ticket.id });
      // Telegram preferences are stored; that channel's delivery is not built yet.
    }
    await tx
      .update(notificationFanouts)
      .set({ recipients: people.length })
      .where(eq(notificationFanouts.eventId, eventId));
    if (rows.length === 0) return { recipients: people.length, created: [], external: [] };
    const inserted = await tx.insert(notificationDeliveries).values(rows).onConflictDoNothing().returning({
      id: notificationDeliveries.id,
      userId: notificationDeliveries.userId,
      channel: notificationDeliveries.channel,
    });
    const inApp = inserted.filter((d) => d.channel === "in_app");
    const langOf = new Map(people.map((p) => [p.id, p.language as TLanguage]));
    let created: (typeof notifications.$inferSelect)[] = [];
    if (inApp.length > 0) {
      created = await tx
        .insert(notifications)
        .values(
          inApp.map((d) => {
            const text = describeNotification(langOf.get(d.userId) ?? "ru", facts);
            return {
              userId: d.userId,
              kind,
              ticketId: ev.ticket.id,
              eventId,
              title: text.title,
              body: text.body,
            };
          }),
        )
        .returning();
      await tx
        .update(notificationDeliveries)
        .set({ status: "sent", attempts: 1, sentAt: new Date(), updatedAt: new Date() })
        .where(
          inArray(
            notificationDeliveries.id,
            inApp.map((d) => d.id),
          ),
        );
    }
    return { recipients: people.length, created, external: inserted.filter((d) => d.channel !== "in_app") };
  });
  if (!result) return null;
  for (const n of result.created) {
    ctx.bus.publish({
      type: "notification_created",
      userId: n.userId,
      ticketId: n.ticketId ?? null,
      notification: presentNotification(n),
      at: n.createdAt.toISOString(),
    });
  }
  try {
    await ctx.jobs.sendMany(
      DELIVER_JOB,
      result.external.map((d) => ({ data: { deliveryId: d.id }, singletonKey: `delivery-${d.id}` })),
    );
  } catch (error) {
    // The rows stay queued; the sweep queues them again.
    ctx.logger.warn({ err: error, eventId }, "could not queue every delivery");
  }
  return { recipients: result.recipients, queued: result.external.length + result.created.length };
}

export function presentNotification(n: typeof notifications.$inferSelect) {
  return {
    id: n.id,
    kind: n.kind,
    ticket_id: n.ticketId,
    title: n.title,
    body: n.body,
    created_at: n.createdAt.toISOString(),
    read_at: n.readAt?.toISOString() ?? null,
  };
}

const CURSOR_KEY = "notifications.cursor";

/**
 * The durable path. Every ticket event is a row in `ticket_events`, committed with the change;
 * this sweep finds rows above a stored cursor that were never fanned out (the process died
 * between commit and queueing, or the queue was down) and fans them out. The cursor only moves
 * past events older than five minutes, so a slow transaction that commits a lower id late is
 * still seen. It also re-queues deliveries whose job was lost.
 */
export async function sweepNotifications(
  ctx: Pick<AppContext, "db" | "bus" | "jobs" | "logger">,
  options: { maxEvents?: number; signal?: AbortSignal } = {},
) {
  // One run is bounded: a backlog (the queue was down for an hour) is worked off over several
  // minutes' runs, each event in its own short transaction, instead of in one long stretch.
  const maxEvents = options.maxEvents ?? 2000;
  const { rows: cur } = await ctx.db.execute<{ value: { event_id?: number } }>(
    sql`SELECT value FROM settings WHERE key = ${CURSOR_KEY}`,
  );
  let cursor = Number(cur[0]?.value?.event_id ?? Number.NaN);
  if (!Number.isFinite(cursor)) {
    // First run on an existing database: history older than an hour is not news any more.
    const { rows } = await ctx.db.execute<{ id: number | null }>(
      sql`SELECT max(id)::float8 AS id FROM ticket_events WHERE created_at < now() - interval '1 hour'`,
    );
    cursor = Number(rows[0]?.id ?? 0);
  }
  let fannedOut = 0;
  let failedLowest: number | null = null;
  let after = cursor;
  let seen = 0;
  let stoppedEarly = false;
  for (;;) {
    const { rows } = await ctx.db.execute<{ id: number }>(sql`
      SELECT e.id::float8 AS id FROM ticket_events e
      WHERE e.id > ${after} AND NOT EXISTS (SELECT 1 FROM notification_fanouts f WHERE f.event_id = e.id)
      ORDER BY e.id LIMIT ${SWEEP_BATCH}`);
    for (const r of rows) {
      const id = Number(r.id);
      try {
        if (await fanOutEvent(ctx, id)) fannedOut += 1;
      } catch (error) {
        failedLowest ??= id;
        ctx.logger.warn({ err: error, eventId: id }, "fan-out failed; the next sweep retries");
      }
      after = id;
      seen += 1;
      if (seen >= maxEvents || options.signal?.aborted) {
        stoppedEarly = true;
        break;
      }
      await yieldToOthers();
    }
    if (stoppedEarly || rows.length < SWEEP_BATCH) break;
  }
  const { rows: old } = await ctx.db.execute<{ id: number | null }>(sql`
    SELECT max(id)::float8 AS id FROM ticket_events WHERE id > ${cursor} AND created_at < now() - interval '5 minutes'`);
  let next = Math.max(cursor, Number(old[0]?.id ?? cursor));
  if (failedLowest !== null) next = Math.min(next, failedLowest - 1);
  // Events after the last one looked at wait for the next run: the cursor must not pass them.
  if (stoppedEarly) next = Math.min(next, after);
  if (next !== cursor) {
    await ctx.db.execute(sql`
      INSERT INTO settings (key, value) VALUES (${CURSOR_KEY}, ${JSON.stringify({ event_id: next })}::jsonb)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`);
    await deleteInBatches(ctx.db, "notification_fanouts", sql`event_id <= ${next}`);
  }
  const stale = await ctx.db
    .select({ id: notificationDeliveries.id })
    .from(notificationDeliveries)
    .where(
      sql`(status IN ('queued', 'retrying') AND updated_at < now() - interval '15 minutes')
        OR (status = 'sending' AND locked_until < now())`,
    )
    .limit(1000);
  if (stale.length > 0) {
    await ctx.jobs.sendMany(
      DELIVER_JOB,
      stale.map((d) => ({ data: { deliveryId: d.id }, singletonKey: `delivery-${d.id}` })),
    );
  }
  ctx.logger.info({ fannedOut, requeued: stale.length, cursor: next }, "notifications sweep done");
  return { fannedOut, requeued: stale.length };
}
