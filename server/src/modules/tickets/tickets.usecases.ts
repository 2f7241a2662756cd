import type {
  TCreateTicketRequest,
  TTicketEventType,
  TTicketSource,
  TTicketStatus,
  TUpdateTicketRequest,
} from "@helpdesk/contracts";
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { yieldToOthers } from "../../platform/db/batches.js";
import type { Db, DbOrTx } from "../../platform/db/index.js";
import {
  attachments,
  categories,
  priorities,
  queues,
  ticketEvents,
  ticketMessages,
  tickets,
  users,
} from "../../platform/db/schema/index.js";
import { ticketsCreated } from "../../platform/metrics.js";
import { type TEmit, type TUnitOfWorkDeps, withTx } from "../../platform/unit-of-work.js";
import type { TActor } from "../auth/auth.actor.js";
import type { TCatalog, TCatalogEntry } from "../catalog/catalog.cache.js";
import { DEFAULT_PRIORITY_SLUG, DEFAULT_QUEUE_SLUG } from "../catalog/catalog.seed.js";
import {
  createAlreadyClosedError,
  createAssignForbiddenError,
  createDeleteForbiddenError,
  createEditForbiddenError,
  createExecuteForbiddenError,
  createFileOnBehalfForbiddenError,
  createInvalidAttachmentsError,
  createInvalidExecutorError,
  createMessageEditForbiddenError,
  createTicketNotFoundError,
  createTransitionForbiddenError,
  createUnknownReferenceError,
} from "./tickets.errors.js";
import {
  canAssign,
  canChangeStatus,
  canDeleteTicket,
  canEditFields,
  canEditMessage,
  canExecute,
  canFileOnBehalf,
  canReply,
  canViewTicket,
  canWriteNote,
} from "./tickets.policies.js";
import { lockTicket } from "./tickets.repository.js";

async function recordEvent(
  tx: DbOrTx,
  emit: TEmit,
  e: {
    ticketId: number;
    actorId: number | null;
    type: TTicketEventType;
    data?: Record<string, unknown>;
    isInternal?: boolean;
  },
) {
  const [row] = await tx
    .insert(ticketEvents)
    .values({
      ticketId: e.ticketId,
      actorId: e.actorId,
      type: e.type,
      data: e.data ?? {},
      isInternal: e.isInternal ?? false,
    })
    .returning({ id: ticketEvents.id, createdAt: ticketEvents.createdAt });
  emit({
    type: e.type,
    ticketId: e.ticketId,
    eventId: row!.id,
    actorId: e.actorId,
    data: { ...(e.data ?? {}), is_internal: e.isInternal ?? false },
    at: row!.createdAt.toISOString(),
  });
}

async function resolveActiveRef(
  tx: DbOrTx,
  table: typeof priorities | typeof categories | typeof queues,
  field: string,
  id: number,
) {
  const [row] = await tx
    .select({ id: table.id })
    .from(table)
    .where(and(eq(table.id, id), eq(table.isActive, true)));
  if (!row) throw createUnknownReferenceError(field, id);
  return row.id;
}

async function idBySlug(tx: DbOrTx, table: typeof priorities | typeof queues, slug: string) {
  const [row] = await tx.select({ id: table.id }).from(table).where(eq(table.slug, slug));
  if (!row) throw new Error(`Seed row ${slug} is missing`);
  return row.id;
}

/** Links uploaded, not yet used attachments of the actor to a ticket (and message). */
async function claimAttachments(
  tx: DbOrTx,
  emit: TEmit,
  actor: TActor,
  ids: string[],
  target: { ticketId: number; messageId?: number; isInternal?: boolean },
) {
  if (ids.length === 0) return;
  const unique = [...new Set(ids)];
  const claimed = await tx
    .update(attachments)
    .set({ ticketId: target.ticketId, messageId: target.messageId ?? null })
    .where(
      and(
        inArray(attachments.id, unique),
        eq(attachments.uploaderId, actor.id),
        isNull(attachments.ticketId),
        isNull(attachments.messageId),
      ),
    )
    .returning({ id: attachments.id, filename: attachments.filename });
  if (claimed.length !== unique.length) {
    const ok = new Set(claimed.map((c) => c.id));
    throw createInvalidAttachmentsError(unique.filter((id) => !ok.has(id)));
  }
  for (const a of claimed) {
    await recordEvent(tx, emit, {
      ticketId: target.ticketId,
      actorId: actor.id,
      type: "attachment",
      data: { attachment_id: a.id, filename: a.filename, message_id: target.messageId ?? null },
      isInternal: target.isInternal,
    });
  }
}

/**
 * Files a ticket. Requesters file for themselves; staff may file on someone's behalf. Queue
 * and priority default to "General questions" and "Medium".
 */
export async function createTicket(
  tx: DbOrTx,
  emit: TEmit,
  actor: TActor,
  input: TCreateTicketRequest,
  source: TTicketSource = "web",
  catalog?: TCatalog,
): Promise<number> {
  let requesterId = actor.id;
  if (input.requester_id !== undefined && input.requester_id !== actor.id) {
    if (!canFileOnBehalf(actor)) throw createFileOnBehalfForbiddenError();
    const [r] = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.id, input.requester_id), eq(users.isActive, true)));
    if (!r) throw createUnknownReferenceError("requester", input.requester_id);
    requesterId = r.id;
  }
  // With the in-memory catalog a create is one statement; without it (jobs, CLI) rows are read.
  const activeRef = async (
    table: typeof priorities | typeof categories | typeof queues,
    map: Map<number, TCatalogEntry> | undefined,
    field: string,
    id: number,
  ) => {
    if (!map) return resolveActiveRef(tx, table, field, id);
    if (!map.get(id)?.isActive) throw createUnknownReferenceError(field, id);
    return id;
  };
  const bySlug = async (
    table: typeof priorities | typeof queues,
    map: Map<string, TCatalogEntry> | undefined,
    slug: string,
  ) => map?.get(slug)?.id ?? idBySlug(tx, table, slug);
  const priorityId = input.priority_id
    ? await activeRef(priorities, catalog?.priorities, "priority", input.priority_id)
    : await bySlug(priorities, catalog?.bySlug.priorities, DEFAULT_PRIORITY_SLUG);
  const categoryId = input.category_id
    ? await activeRef(categories, catalog?.categories, "category", input.category_id)
    : null;
  const queueId = input.queue_id
    ? await activeRef(queues, catalog?.queues, "queue", input.queue_id)
    : await bySlug(queues, catalog?.bySlug.queues, DEFAULT_QUEUE_SLUG);
  const eventData = { title: input.title, queue_id: queueId, requester_id: requesterId, source };
  // The ticket and its "created" history row in one statement.
  const result = await tx.execute<{ id: number; event_id: number; created_at: Date | string }>(sql`
    WITH t AS (
      INSERT INTO tickets (title, description, priority_id, category_id, queue_id, requester_id, source)
      VALUES (${input.title}, ${input.description}, ${priorityId}, ${categoryId}, ${queueId}, ${requesterId}, ${source})
      RETURNING id, created_at
    ), e AS (
      INSERT INTO ticket_events (ticket_id, actor_id, type, data)
      SELECT t.id, ${actor.id}, 'created', ${JSON.stringify(eventData)}::jsonb FROM t
      RETURNING id
    )
    SELECT t.id::float8 AS id, e.id::float8 AS event_id, t.created_at FROM t, e`);
  const row = result.rows[0]!;
  const id = Number(row.id);
  emit({
    type: "created",
    ticketId: id,
    eventId: Number(row.event_id),
    actorId: actor.id,
    data: { ...eventData, is_internal: false },
    at: new Date(row.created_at).toISOString(),
  });
  await claimAttachments(tx, emit, actor, input.attachment_ids, { ticketId: id });
  ticketsCreated.inc({ source });
  return id;
}

async function lockVisible(tx: DbOrTx, actor: TActor, id: number) {
  const t = await lockTicket(tx, id);
  if (!t || !canViewTicket(actor, t)) throw createTicketNotFoundError();
  return t;
}

async function ensureExecutor(tx: DbOrTx, executorId: number) {
  const [u] = await tx
    .select({ id: users.id, name: users.name })
    .from(users)
    .where(and(eq(users.id, executorId), eq(users.role, "executor"), eq(users.isActive, true)));
  if (!u) throw createInvalidExecutorError();
  return u;
}

function statusPatch(from: TTicketStatus, to: TTicketStatus) {
  return {
    status: to,
    closedAt: to === "closed" ? new Date() : null,
    // Reopening brings an archived ticket back to the working views.
    ...(from === "closed" && to !== "closed" ? { archivedAt: null } : {}),
  };
}

/** Edits fields, status and assignment, each checked by the policy; one history row per kind of change. */
export async function updateTicket(
  deps: TUnitOfWorkDeps,
  actor: TActor,
  id: number,
  patch: TUpdateTicketRequest,
) {
  await withTx(deps, async (tx, emit) => {
    const t = await lockVisible(tx, actor, id);
    const fieldKeys = (["title", "description", "priority_id", "category_id", "queue_id"] as const).filter(
      (k) => patch[k] !== undefined,
    );
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    const set: Partial<typeof tickets.$inferInsert> = {};
    if (fieldKeys.length > 0) {
      if (!canEditFields(actor, t, [...fieldKeys])) throw createEditForbiddenError([...fieldKeys]);
      if (patch.title !== undefined && patch.title !== t.title) {
        set.title = patch.title;
        changes.title = { from: t.title, to: patch.title };
      }
      if (patch.description !== undefined && patch.description !== t.description) {
        set.description = patch.description;
        changes.description = { from: null, to: null };
      }
      if (patch.priority_id !== undefined && patch.priority_id !== t.priority_id) {
        set.priorityId = await resolveActiveRef(tx, priorities, "priority", patch.priority_id);
        changes.priority_id = { from: t.priority_id, to: patch.priority_id };
      }
      if (patch.category_id !== undefined && patch.category_id !== t.category_id) {
        set.categoryId =
          patch.category_id === null
            ? null
            : await resolveActiveRef(tx, categories, "category", patch.category_id);
        changes.category_id = { from: t.category_id, to: patch.category_id };
      }
      if (patch.queue_id !== undefined && patch.queue_id !== t.queueId) {
        set.queueId = await resolveActiveRef(tx, queues, "queue", patch.queue_id);
        changes.queue_id = { from: t.queueId, to: patch.queue_id };
      }
    }
    if (patch.assignee_id !== undefined && patch.assignee_id !== t.assigneeId) {
      if (!canAssign(actor, t, patch.assignee_id)) throw createAssignForbiddenError();
      const executor = patch.assignee_id === null ? null : await ensureExecutor(tx, patch.assignee_id);
      set.assigneeId = executor?.id ?? null;
      await recordEvent(tx, emit, {
        ticketId: id,
        actorId: actor.id,
        type: executor ? "assigned" : "unassigned",
        data: {
          from: t.assigneeId,
          from_name: t.assignee_name,
          to: executor?.id ?? null,
          to_name: executor?.name ?? null,
        },
      });
    }
    if (patch.status !== undefined && patch.status !== t.status) {
      if (!canChangeStatus(actor, t, patch.status))
        throw createTransitionForbiddenError(t.status, patch.status);
      Object.assign(set, statusPatch(t.status, patch.status));
      await recordEvent(tx, emit, {
        ticketId: id,
        actorId: actor.id,
        type: "status_changed",
        data: { from: t.status, to: patch.status },
      });
    }
    if (Object.keys(changes).length > 0) {
      await recordEvent(tx, emit, { ticketId: id, actorId: actor.id, type: "updated", data: { changes } });
    }
    if (Object.keys(set).length > 0) {
      await tx
        .update(tickets)
        .set({ ...set, updatedAt: new Date() })
        .where(eq(tickets.id, id));
    }
  });
}

/** Seed S2's assign: operator or admin sets an active executor. */
export async function assignTicket(deps: TUnitOfWorkDeps, actor: TActor, id: number, executorId: number) {
  await withTx(deps, async (tx, emit) => {
    const t = await lockVisible(tx, actor, id);
    if (!canAssign(actor, t, executorId)) throw createAssignForbiddenError();
    const executor = await ensureExecutor(tx, executorId);
    if (t.assigneeId === executor.id) return;
    await tx
      .update(tickets)
      .set({ assigneeId: executor.id, updatedAt: new Date() })
      .where(eq(tickets.id, id));
    await recordEvent(tx, emit, {
      ticketId: id,
      actorId: actor.id,
      type: "assigned",
      data: { from: t.assigneeId, from_name: t.assignee_name, to: executor.id, to_name: executor.name },
    });
  });
}

/**
 * Gives an open ticket to an executor the caller has already checked (the inbox assigning a
 * chat, whose ticket follows it): one `assigned` history row, so notifications and the
 * WebSocket hear of it as of any assignment. `actorId` null: the system did it.
 */
export async function setTicketAssignee(
  tx: DbOrTx,
  emit: TEmit,
  actorId: number | null,
  id: number,
  executor: { id: number; name: string },
) {
  const t = await lockTicket(tx, id);
  if (!t || t.status === "closed" || t.assigneeId === executor.id) return;
  await tx.update(tickets).set({ assigneeId: executor.id, updatedAt: new Date() }).where(eq(tickets.id, id));
  await recordEvent(tx, emit, {
    ticketId: id,
    actorId,
    type: "assigned",
    data: { from: t.assigneeId, from_name: t.assignee_name, to: executor.id, to_name: executor.name },
  });
}

/** Seed S2's execute: the assigned executor completes the ticket, with an optional closing comment. */
export async function executeTicket(
  deps: TUnitOfWorkDeps,
  actor: TActor,
  id: number,
  comment: string | undefined,
) {
  await withTx(deps, async (tx, emit) => {
    const t = await lockVisible(tx, actor, id);
    if (!canExecute(actor, t)) throw createExecuteForbiddenError();
    if (t.status === "closed") throw createAlreadyClosedError();
    if (comment)
      await insertMessage(tx, emit, actor, t, { text: comment, isInternal: false, attachmentIds: [] });
    await tx
      .update(tickets)
      .set({ ...statusPatch(t.status, "closed"), updatedAt: new Date() })
      .where(eq(tickets.id, id));
    await recordEvent(tx, emit, {
      ticketId: id,
      actorId: actor.id,
      type: "status_changed",
      data: { from: t.status, to: "closed", executed: true },
    });
  });
}

type TLockedTicket = NonNullable<Awaited<ReturnType<typeof lockTicket>>>;

async function insertMessage(
  tx: DbOrTx,
  emit: TEmit,
  actor: TActor,
  t: TLockedTicket,
  m: { text: string; isInternal: boolean; attachmentIds: string[]; source?: TTicketSource },
) {
  const [row] = await tx
    .insert(ticketMessages)
    .values({
      ticketId: t.id,
      authorId: actor.id,
      body: m.text,
      isInternal: m.isInternal,
      source: m.source ?? "web",
    })
    .returning({ id: ticketMessages.id });
  const messageId = row!.id;
  await recordEvent(tx, emit, {
    ticketId: t.id,
    actorId: actor.id,
    type: m.isInternal ? "note" : "message",
    data: { message_id: messageId, author_role: actor.role },
    isInternal: m.isInternal,
  });
  await claimAttachments(tx, emit, actor, m.attachmentIds, {
    ticketId: t.id,
    messageId,
    isInternal: m.isInternal,
  });
  const set: Partial<typeof tickets.$inferInsert> = { updatedAt: new Date() };
  const isRequesterSide = actor.id === t.requesterId && actor.role === "requester";
  if (!m.isInternal && !isRequesterSide && t.first_response_at === null) set.firstResponseAt = new Date();
  // The requester answering brings the ticket back to the team.
  if (!m.isInternal && isRequesterSide && (t.status === "waiting_for_client" || t.status === "closed")) {
    const to: TTicketStatus = t.status === "closed" || t.assigneeId === null ? "open" : "in_progress";
    Object.assign(set, statusPatch(t.status, to));
    await recordEvent(tx, emit, {
      ticketId: t.id,
      actorId: actor.id,
      type: "status_changed",
      data: { from: t.status, to, reason: "requester_replied" },
    });
  }
  await tx.update(tickets).set(set).where(eq(tickets.id, t.id));
  return messageId;
}

/** A public reply or an internal note on a ticket the actor may see. */
export async function addMessage(
  tx: DbOrTx,
  emit: TEmit,
  actor: TActor,
  input: {
    ticketId: number;
    text: string;
    isInternal: boolean;
    attachmentIds: string[];
    source?: TTicketSource;
  },
): Promise<number> {
  const t = await lockVisible(tx, actor, input.ticketId);
  if (input.isInternal ? !canWriteNote(actor, t) : !canReply(actor, t)) {
    // A requester must not learn that notes exist: same answer as an unknown ticket.
    throw createTicketNotFoundError();
  }
  return insertMessage(tx, emit, actor, t, input);
}

/** Deletes a ticket with its history; processors learn of it by a `deleted` event without a row. */
export async function deleteTicket(deps: TUnitOfWorkDeps, actor: TActor, id: number) {
  if (!canDeleteTicket(actor)) throw createDeleteForbiddenError();
  await withTx(deps, async (tx, emit) => {
    const deleted = await tx.delete(tickets).where(eq(tickets.id, id)).returning({ id: tickets.id });
    if (deleted.length === 0) throw createTicketNotFoundError();
    emit({
      type: "deleted",
      ticketId: id,
      eventId: null,
      actorId: actor.id,
      data: {},
      at: new Date().toISOString(),
    });
  });
}

/**
 * Moves tickets closed more than `hours` ago out of the working views, in batches, and writes
 * an `archived` history row for each. Returns how many it archived.
 */
export async function sweepArchivedTickets(db: Db, hours: number, batch = 500): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await db.transaction(async (tx) => {
      // NO KEY UPDATE: rows being referenced by concurrent inserts (notifications, events) hold
      // KEY SHARE locks, which a plain FOR UPDATE SKIP LOCKED would skip until the next sweep.
      const result = await tx.execute<{ id: number }>(sql`
        UPDATE tickets SET archived_at = now()
        WHERE id IN (
          SELECT id FROM tickets
          WHERE status = 'closed' AND archived_at IS NULL AND closed_at < now() - make_interval(hours => ${hours})
          ORDER BY closed_at LIMIT ${batch} FOR NO KEY UPDATE SKIP LOCKED)
        RETURNING id::float8 AS id`);
      if (result.rows.length > 0) {
        await tx.insert(ticketEvents).values(
          result.rows.map((r) => ({
            ticketId: Number(r.id),
            actorId: null,
            type: "archived",
            data: { after_hours: hours },
          })),
        );
      }
      return result.rows.length;
    });
    total += n;
    if (n < batch) return total;
    await yieldToOthers();
  }
}

/** A message or note as the edit and delete rules see it. */
export type TMessageRef = { id: number; ticket_id: number; author: { id: number } | null };

/** The message (or note: `isInternal`) a change is about; a message is never edited as a note. */
const theMessage = (m: TMessageRef, isInternal: boolean) =>
  and(eq(ticketMessages.id, m.id), eq(ticketMessages.isInternal, isInternal));

/** The history row of an edit or a deletion of a message or note. */
const recordMessageChange = (
  tx: DbOrTx,
  emit: TEmit,
  actor: TActor,
  m: TMessageRef,
  type: "message_edited" | "message_deleted",
  isInternal: boolean,
) =>
  recordEvent(tx, emit, {
    ticketId: m.ticket_id,
    actorId: actor.id,
    type,
    data: { message_id: m.id },
    isInternal,
  });

/**
 * Changes the text of a message or note; one `message_edited` history row. No text (an empty
 * PATCH) changes and writes nothing. Returns whether it changed anything.
 */
export async function editMessage(
  deps: TUnitOfWorkDeps,
  actor: TActor,
  m: TMessageRef,
  text: string | undefined,
  isInternal: boolean,
): Promise<boolean> {
  if (!canEditMessage(actor, m))
    throw createMessageEditForbiddenError(isInternal ? "notes" : "messages", "edit");
  if (text === undefined) return false;
  await withTx(deps, async (tx, emit) => {
    await tx
      .update(ticketMessages)
      .set({ body: text, updatedAt: new Date() })
      .where(theMessage(m, isInternal));
    await recordMessageChange(tx, emit, actor, m, "message_edited", isInternal);
  });
  return true;
}

/** Deletes a message or note (its files stay on the ticket); one `message_deleted` history row. */
export async function deleteMessage(
  deps: TUnitOfWorkDeps,
  actor: TActor,
  m: TMessageRef,
  isInternal: boolean,
) {
  if (!canEditMessage(actor, m))
    throw createMessageEditForbiddenError(isInternal ? "notes" : "messages", "delete");
  await withTx(deps, async (tx, emit) => {
    await tx.delete(ticketMessages).where(theMessage(m, isInternal));
    await recordMessageChange(tx, emit, actor, m, "message_deleted", isInternal);
  });
}
