import type { TLanguage, TNotificationChannel, TNotificationKind } from "@helpdesk/contracts";
import { and, eq, inArray, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { AppContext } from "../../app-context.js";
import { findTelegramChats } from "../../channels/telegram-bot/telegram.requester.repository.js";
import { deleteInBatches, SWEEP_BATCH, yieldToOthers } from "../../platform/db/batches.js";
import { idArray } from "../../platform/db/id-array.js";
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
import { waitForProcessorsIdle } from "../../platform/processors.js";
import type { TActor } from "../auth/auth.actor.js";
import { findActorsByIds } from "../auth/auth.repository.js";
import { ticketsWithBinding } from "../conversations/conversations.repository.js";
import { canSeeInternalNotes, canViewTicket, type TTicketAccess } from "../tickets/tickets.policies.js";
import { resolvePreferences } from "./notifications.preferences.js";
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

/** Longest text a notification quotes (a message, a note, a new ticket's description). */
const QUOTED_TEXT_MAX = 4000;

/**
 * Reads events with what their notifications say (ticket, actor, message text), in one query
 * for any number of events. Events whose ticket is gone are missing from the map.
 */
export async function loadEventContexts(db: DbOrTx, eventIds: number[]): Promise<Map<number, TEventContext>> {
  const ids = [...new Set(eventIds.map(Number).filter(Number.isSafeInteger))];
  const contexts = new Map<number, TEventContext>();
  if (ids.length === 0) return contexts;
  const actor = alias(users, "actor");
  const rows = await db
    .select({
      id: ticketEvents.id,
      type: ticketEvents.type,
      data: ticketEvents.data,
      isInternal: ticketEvents.isInternal,
      actorId: ticketEvents.actorId,
      actorName: actor.name,
      messageBody: sql<string | null>`left(${ticketMessages.body}, ${QUOTED_TEXT_MAX})`,
      ticketId: tickets.id,
      title: tickets.title,
      description: sql<string>`left(${tickets.description}, ${QUOTED_TEXT_MAX})`,
      requesterId: tickets.requesterId,
      assigneeId: tickets.assigneeId,
      queueId: tickets.queueId,
      status: tickets.status,
      departmentId: queues.departmentId,
    })
    .from(ticketEvents)
    .innerJoin(tickets, eq(tickets.id, ticketEvents.ticketId))
    .innerJoin(queues, eq(queues.id, tickets.queueId))
    .leftJoin(actor, eq(actor.id, ticketEvents.actorId))
    .leftJoin(
      ticketMessages,
      sql`${ticketMessages.id} = CASE WHEN ${ticketEvents.type} IN ('message', 'note')
        AND jsonb_typeof(${ticketEvents.data}->'message_id') = 'number'
        THEN (${ticketEvents.data}->>'message_id')::bigint END`,
    )
    .where(inArray(ticketEvents.id, ids));
  for (const row of rows) {
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
    const text =
      kind === "new_message" || kind === "new_note"
        ? (row.messageBody ?? undefined)
        : kind === "ticket_created"
          ? row.description || undefined
          : undefined;
    const facts: TNotificationFacts | null = kind
      ? {
          kind,
          ticketId: row.ticketId,
          ticketTitle: row.title,
          actorName: row.actorId === null ? null : (row.actorName ?? null),
          text,
          ...(kind === "status_changed" || kind === "ticket_closed"
            ? { statusFrom: String(data.from ?? ""), statusTo: String(data.to ?? "") }
            : {}),
          ...(kind === "ticket_assigned"
            ? { assigneeName: typeof data.to_name === "string" ? data.to_name : null }
            : {}),
        }
      : null;
    contexts.set(row.id, {
      eventId: row.id,
      type: row.type,
      kind,
      isInternal: row.isInternal,
      actorId: row.actorId,
      data,
      ticket,
      facts,
    });
  }
  return contexts;
}

/** Reads one event with what its notifications say; null when it or its ticket is gone. */
export async function loadEventContext(db: DbOrTx, eventId: number): Promise<TEventContext | null> {
  return (await loadEventContexts(db, [eventId])).get(eventId) ?? null;
}

/** Active operators of each department (all operators for `null`, a queue without one). */
async function operatorsOfDepartments(
  db: DbOrTx,
  departmentIds: (number | null)[],
): Promise<Map<number | null, number[]>> {
  const wanted = [...new Set(departmentIds)];
  const byDepartment = new Map<number | null, number[]>(wanted.map((d) => [d, []]));
  if (wanted.length === 0) return byDepartment;
  const active = and(eq(users.role, "operator"), eq(users.isActive, true));
  if (wanted.includes(null)) {
    const all = await db.select({ id: users.id }).from(users).where(active);
    byDepartment.set(
      null,
      all.map((r) => r.id),
    );
  }
  const departments = wanted.filter((d): d is number => d !== null);
  if (departments.length > 0) {
    const rows = await db
      .select({ id: users.id, departmentId: userDepartments.departmentId })
      .from(users)
      .innerJoin(userDepartments, eq(userDepartments.userId, users.id))
      .where(and(inArray(userDepartments.departmentId, departments), active));
    for (const r of rows) byDepartment.get(r.departmentId)?.push(r.id);
  }
  return byDepartment;
}

export type TRecipient = {
  id: number;
  role: string;
  language: string;
  email: string | null;
  preferences: unknown;
};

/**
 * Who hears about each event: requester (never for internal events), assignee, watchers, and
 * the queue's operators for new tickets (and for a requester's reply nobody is assigned to).
 * Never the actor; never an inactive user; never anyone who may not see the ticket *now* (it
 * moved to another queue, they changed role or department) or, for a note, who may not see
 * notes. A watcher who lost access stops watching. Any number of events in a fixed number of
 * queries.
 */
export async function findRecipientsOfEvents(
  db: DbOrTx,
  events: TEventContext[],
): Promise<Map<number, TRecipient[]>> {
  const result = new Map<number, TRecipient[]>();
  const told = events.filter((ev) => ev.kind !== null);
  if (told.length === 0) return result;
  const ticketIds = [...new Set(told.map((ev) => ev.ticket.id))];
  const watcherRows = await db
    .select({ ticketId: ticketWatchers.ticketId, userId: ticketWatchers.userId })
    .from(ticketWatchers)
    .where(inArray(ticketWatchers.ticketId, ticketIds));
  const watchersOf = new Map<number, number[]>();
  for (const w of watcherRows) watchersOf.set(w.ticketId, [...(watchersOf.get(w.ticketId) ?? []), w.userId]);

  const assigneeOf = (ev: TEventContext) =>
    ev.kind === "ticket_assigned" && typeof ev.data.to === "number" ? ev.data.to : ev.ticket.assigneeId;
  const toldOperators = (ev: TEventContext) =>
    ev.kind === "ticket_created" ||
    (ev.kind === "new_message" && ev.actorId === ev.ticket.requesterId && assigneeOf(ev) === null);
  const operators = await operatorsOfDepartments(
    db,
    told.filter(toldOperators).map((ev) => ev.ticket.departmentId),
  );

  const candidates = new Map<number, Set<number>>();
  for (const ev of told) {
    const ids = new Set<number>();
    if (!ev.isInternal) ids.add(ev.ticket.requesterId);
    const assignee = assigneeOf(ev);
    if (assignee !== null) ids.add(assignee);
    for (const w of watchersOf.get(ev.ticket.id) ?? []) ids.add(w);
    if (toldOperators(ev)) for (const id of operators.get(ev.ticket.departmentId) ?? []) ids.add(id);
    if (ev.actorId !== null) ids.delete(ev.actorId);
    candidates.set(ev.eventId, ids);
  }
  const everyone = [...new Set([...candidates.values()].flatMap((ids) => [...ids]))];
  if (everyone.length === 0) return result;
  const actors = new Map((await findActorsByIds(db, everyone)).map((a) => [a.id, a]));
  const preferenceRows = await db
    .select({ id: users.id, preferences: users.preferences })
    .from(users)
    .where(inArray(users.id, everyone));
  const preferencesOf = new Map(preferenceRows.map((r) => [r.id, r.preferences]));

  // Only those who can no longer see the ticket at all stop watching (not staff skipped for a note).
  const blindWatchers = new Map<number, number[]>();
  for (const ev of told) {
    const blind = (watchersOf.get(ev.ticket.id) ?? []).filter((id) => {
      if (id === ev.actorId) return false;
      const a = actors.get(id);
      return !a?.isActive || !canViewTicket(a, ev.ticket);
    });
    if (blind.length > 0) blindWatchers.set(ev.ticket.id, blind);
  }
  for (const [ticketId, drop] of blindWatchers)
    await db
      .delete(ticketWatchers)
      .where(and(eq(ticketWatchers.ticketId, ticketId), inArray(ticketWatchers.userId, drop)));

  for (const ev of told) {
    const people: TRecipient[] = [];
    for (const id of candidates.get(ev.eventId) ?? []) {
      const a = actors.get(id);
      if (!a?.isActive || !mayBeToldAbout(a, ev)) continue;
      people.push({
        id: a.id,
        role: a.role,
        language: a.language,
        email: a.email,
        preferences: preferencesOf.get(a.id) ?? {},
      });
    }
    result.set(ev.eventId, people);
  }
  return result;
}

/** Whether this person may learn of this event now: they may see the ticket, and notes if it is one. */
export const mayBeToldAbout = (actor: TActor, ev: Pick<TEventContext, "ticket" | "isInternal">): boolean =>
  canViewTicket(actor, ev.ticket) && (!ev.isInternal || canSeeInternalNotes(actor));

/**
 * Resolves when this process has no fan-out being queued (nor any other processor step, such
 * as a reply): the processors' steps are tracked by their registry.
 */
export const waitForNotificationsIdle = waitForProcessorsIdle;

/**
 * Fans ticket events out: decides recipients and channels, writes one delivery row per
 * event × user × channel (the idempotency key) and the in-app notifications in one
 * transaction, then queues the e-mail and push deliveries. A batch of events costs a fixed
 * number of queries, not a number per event. Running it twice for an event does nothing the
 * second time (the `notification_fanouts` row); the events already fanned out are not counted.
 */
export async function fanOutEvents(
  ctx: Pick<AppContext, "db" | "bus" | "jobs" | "logger">,
  eventIds: number[],
  options: {
    /**
     * Events per transaction. On the embedded database a transaction holds its one connection,
     * and requests wait for it: keep them short there.
     */
    perTransaction?: number;
  } = {},
): Promise<{ fannedOut: number; recipients: number; queued: number }> {
  // Claimed in id order, so two batches that share events wait for each other, never deadlock.
  const ids = [...new Set(eventIds.map(Number).filter(Number.isSafeInteger))].sort((a, b) => a - b);
  const total = { fannedOut: 0, recipients: 0, queued: 0 };
  const step = Math.max(1, options.perTransaction ?? 50);
  for (let i = 0; i < ids.length; i += step) {
    const r = await fanOutChunk(ctx, ids.slice(i, i + step));
    total.fannedOut += r.fannedOut;
    total.recipients += r.recipients;
    total.queued += r.queued;
  }
  return total;
}

async function fanOutChunk(ctx: Pick<AppContext, "db" | "bus" | "jobs" | "logger">, ids: number[]) {
  const result = await ctx.db.transaction(async (tx) => {
    const marked = await tx
      .insert(notificationFanouts)
      .values(ids.map((eventId) => ({ eventId })))
      .onConflictDoNothing()
      .returning({ eventId: notificationFanouts.eventId });
    const empty = { fannedOut: marked.length, recipients: 0, created: [], external: [] };
    if (marked.length === 0) return empty;
    const contexts = await loadEventContexts(
      tx,
      marked.map((m) => m.eventId),
    );
    const events = [...contexts.values()].filter((ev) => ev.kind && ev.facts);
    const recipientsOf = await findRecipientsOfEvents(tx, events);
    const everyone = [...new Set([...recipientsOf.values()].flatMap((people) => people.map((p) => p.id)))];
    const withPush = await usersWithSubscriptions({ db: tx as never }, everyone);
    const withTelegram = new Set((await findTelegramChats(tx, everyone)).keys());
    // A staff reply on a ticket that came in on a channel reaches its requester there as the
    // reply itself (conversations); an e-mail notification about it would say it twice.
    const bound = await ticketsWithBinding(
      tx,
      events.filter((ev) => ev.kind === "new_message").map((ev) => ev.ticket.id),
    );
    const rows: (typeof notificationDeliveries.$inferInsert)[] = [];
    const counts: { eventId: number; recipients: number }[] = [];
    for (const ev of events) {
      const kind = ev.kind as TNotificationKind;
      const people = recipientsOf.get(ev.eventId) ?? [];
      if (people.length > 0) counts.push({ eventId: ev.eventId, recipients: people.length });
      const repliedOnChannel = kind === "new_message" && bound.has(ev.ticket.id);
      const row = (userId: number, channel: TNotificationChannel) =>
        rows.push({ eventId: ev.eventId, userId, channel, kind, ticketId: ev.ticket.id });
      for (const p of people) {
        const prefs = resolvePreferences((p.preferences as { notifications?: unknown } | null)?.notifications)
          .events[kind];
        if (prefs.in_app) row(p.id, "in_app");
        if (prefs.email && p.email && !(repliedOnChannel && p.id === ev.ticket.requesterId))
          row(p.id, "email");
        if (prefs.web_push && withPush.has(p.id)) row(p.id, "web_push");
        if (prefs.telegram && withTelegram.has(p.id) && !(repliedOnChannel && p.id === ev.ticket.requesterId))
          row(p.id, "telegram");
      }
    }
    if (counts.length > 0)
      await tx.execute(sql`
        UPDATE notification_fanouts f SET recipients = v.recipients
        FROM unnest(${idArray(counts.map((c) => c.eventId))}, ${idArray(
          counts.map((c) => c.recipients),
          "int",
        )})
          AS v(event_id, recipients)
        WHERE f.event_id = v.event_id`);
    const recipients = counts.reduce((sum, c) => sum + c.recipients, 0);
    if (rows.length === 0) return { ...empty, recipients };
    const inserted = await tx.insert(notificationDeliveries).values(rows).onConflictDoNothing().returning({
      id: notificationDeliveries.id,
      eventId: notificationDeliveries.eventId,
      userId: notificationDeliveries.userId,
      channel: notificationDeliveries.channel,
    });
    const inApp = inserted.filter((d) => d.channel === "in_app");
    const languageOf = new Map(
      [...recipientsOf.values()].flatMap((people) =>
        people.map((p) => [p.id, p.language as TLanguage] as const),
      ),
    );
    let created: (typeof notifications.$inferSelect)[] = [];
    if (inApp.length > 0) {
      created = await tx
        .insert(notifications)
        .values(
          inApp.map((d) => {
            const ev = contexts.get(d.eventId) as TEventContext;
            const text = describeNotification(
              languageOf.get(d.userId) ?? "ru",
              ev.facts as TNotificationFacts,
            );
            return {
              userId: d.userId,
              kind: ev.kind as TNotificationKind,
              ticketId: ev.ticket.id,
              eventId: d.eventId,
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
    return { ...empty, recipients, created, external: inserted.filter((d) => d.channel !== "in_app") };
  });
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
    await queueDeliveries(
      ctx,
      result.external.map((d) => d.id),
    );
  } catch (error) {
    // The rows stay queued; the sweep queues them again.
    ctx.logger.warn({ err: error, eventIds: ids }, "could not queue every delivery");
  }
  return {
    fannedOut: result.fannedOut,
    recipients: result.recipients,
    queued: result.external.length + result.created.length,
  };
}

/** Fans one event out; null when it was fanned out before. */
export async function fanOutEvent(
  ctx: Pick<AppContext, "db" | "bus" | "jobs" | "logger">,
  eventId: number,
): Promise<{ recipients: number; queued: number } | null> {
  const r = await fanOutEvents(ctx, [eventId]);
  return r.fannedOut === 0 ? null : { recipients: r.recipients, queued: r.queued };
}

/** Deliveries named by one delivery job: what one worker sends in one go. */
const DELIVERIES_PER_JOB = 50;

/**
 * Queues deliveries for sending, a few dozen per job: a job per delivery would cost the queue
 * a row, a fetch and a completion for every mail. A delivery named by two jobs is still sent
 * once (the job claims its row first).
 */
export async function queueDeliveries(ctx: Pick<AppContext, "jobs">, deliveryIds: number[]) {
  const jobs: { data: { deliveryIds: number[] } }[] = [];
  for (let i = 0; i < deliveryIds.length; i += DELIVERIES_PER_JOB)
    jobs.push({ data: { deliveryIds: deliveryIds.slice(i, i + DELIVERIES_PER_JOB) } });
  await ctx.jobs.sendMany(DELIVER_JOB, jobs);
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
  await queueDeliveries(
    ctx,
    stale.map((d) => d.id),
  );
  ctx.logger.info({ fannedOut, requeued: stale.length, cursor: next }, "notifications sweep done");
  return { fannedOut, requeued: stale.length };
}
