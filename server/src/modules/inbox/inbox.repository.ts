import type { TTicketSource } from "@helpdesk/contracts";
import { inArray, type SQL, sql } from "drizzle-orm";
import { idArray } from "../../platform/db/id-array.js";
import type { DbOrTx } from "../../platform/db/index.js";
import { attachments, ticketMessages } from "../../platform/db/schema/index.js";
import { decodeCursor, encodeCursor } from "../../platform/http.js";
import type { TActor } from "../auth/auth.actor.js";
import { CHAT_QUEUE_SQL, chatVisibilitySql } from "./inbox.policies.js";

/*
 * Which messages belong to a chat: the public messages of the tickets bound to it, that is the
 * `thread_bindings` rows with the chat's channel, account and `external_thread_id =
 * chats.external_id` (indexed by `thread_bindings_external_idx`; a chat has a handful of
 * tickets, each read by `ticket_messages_ticket_idx`). A message is the contact's (`in`) when
 * its author is the binding's contact (a contact merge moves both), else staff's (`out`).
 */
const BOUND_MESSAGES = sql`thread_bindings b
  JOIN ticket_messages m ON m.ticket_id = b.ticket_id AND NOT m.is_internal
  WHERE b.channel = c.channel AND b.account_id = c.account_id AND b.external_thread_id = c.external_id`;

/** The same, as joins from `chats c`. */
const CHAT_MESSAGES_JOIN = sql`JOIN thread_bindings b
    ON b.channel = c.channel AND b.account_id = c.account_id AND b.external_thread_id = c.external_id
  JOIN ticket_messages m ON m.ticket_id = b.ticket_id AND NOT m.is_internal`;

/** Every chat query reads from here, so the visibility fragment (over `c` and `ca`) fits all. */
const CHAT_FROM = sql`chats c JOIN channel_accounts ca ON ca.id = c.account_id`;

export type TChatRow = {
  id: number;
  account_id: number;
  channel: string;
  external_id: string;
  title: string;
  contact_user_id: number;
  contact_name: string;
  assignee_id: number | null;
  assignee_name: string | null;
  ticket_id: number | null;
  ticket_status: string | null;
  queue_id: number | null;
  last_message_id: number | null;
  last_text: string | null;
  last_is_inbound: boolean | null;
  last_message_at: Date | string;
  cursor_at: string;
  last_inbound_at: Date | string;
  created_at: Date | string;
  unread_count: number;
};

const isChatCursor = (v: unknown): v is { t: string; id: number } => {
  const c = v as { t?: unknown; id?: unknown } | null;
  return (
    typeof c === "object" &&
    c !== null &&
    typeof c.t === "string" &&
    c.t.length <= 64 &&
    !Number.isNaN(Date.parse(c.t)) &&
    typeof c.id === "number" &&
    Number.isSafeInteger(c.id) &&
    c.id > 0
  );
};

/** Whose unread count a chat query computes, and which chats they may see. */
type TChatReader = { id: number; visibility: SQL };
const readerOf = (actor: TActor): TChatReader => ({ id: actor.id, visibility: chatVisibilitySql(actor) });

/** Chats the reader may see, newest activity first, with the reader's unread count. */
async function selectChats(
  db: DbOrTx,
  reader: TChatReader,
  where: SQL[],
  limit: number,
): Promise<TChatRow[]> {
  const result = await db.execute(sql`
    SELECT c.id, c.account_id, c.channel, c.external_id, c.title, c.contact_user_id, cu.name AS contact_name,
      c.assignee_id, au.name AS assignee_name, c.ticket_id::float8 AS ticket_id, t.status AS ticket_status,
      ${CHAT_QUEUE_SQL} AS queue_id, c.last_message_id::float8 AS last_message_id, left(lm.body, 200) AS last_text,
      (c.last_message_id = c.last_inbound_message_id) AS last_is_inbound,
      c.last_message_at, c.last_message_at::text AS cursor_at, c.last_inbound_at, c.created_at,
      CASE WHEN c.last_inbound_message_id > coalesce(r.last_read_message_id, 0)
        THEN (SELECT count(*)::int FROM ${BOUND_MESSAGES}
              AND m.author_id = b.contact_user_id AND m.id > coalesce(r.last_read_message_id, 0))
        ELSE 0 END AS unread_count
    FROM ${CHAT_FROM}
      JOIN users cu ON cu.id = c.contact_user_id
      LEFT JOIN users au ON au.id = c.assignee_id
      LEFT JOIN tickets t ON t.id = c.ticket_id
      LEFT JOIN ticket_messages lm ON lm.id = c.last_message_id
      LEFT JOIN chat_reads r ON r.chat_id = c.id AND r.user_id = ${reader.id}
    WHERE ${sql.join([reader.visibility, ...where], sql` AND `)}
    ORDER BY c.last_message_at DESC, c.id DESC
    LIMIT ${limit}`);
  return result.rows as TChatRow[];
}

export type TChatListFilter = {
  assignee?: "me" | "none" | number;
  accountId?: number;
  unread?: boolean;
  limit: number;
  cursor?: string;
};

/** A page of the chats the actor may see (keyset by last activity, then id). */
export async function listChats(db: DbOrTx, actor: TActor, f: TChatListFilter) {
  const where: SQL[] = [];
  if (f.assignee === "me") where.push(sql`c.assignee_id = ${actor.id}`);
  else if (f.assignee === "none") where.push(sql`c.assignee_id IS NULL`);
  else if (f.assignee !== undefined) where.push(sql`c.assignee_id = ${f.assignee}`);
  if (f.accountId !== undefined) where.push(sql`c.account_id = ${f.accountId}`);
  if (f.unread) where.push(sql`c.last_inbound_message_id > coalesce(r.last_read_message_id, 0)`);
  if (f.cursor) {
    const cursor = decodeCursor(f.cursor, isChatCursor);
    where.push(sql`(c.last_message_at, c.id) < (${cursor.t}::timestamptz, ${cursor.id})`);
  }
  const rows = await selectChats(db, readerOf(actor), where, f.limit + 1);
  const items = rows.slice(0, f.limit);
  const last = items.at(-1);
  return {
    rows: items,
    next: rows.length > f.limit && last ? encodeCursor({ t: last.cursor_at, id: Number(last.id) }) : null,
  };
}

/** One chat as the list shows it, if the actor may see it. */
export async function findVisibleChatRow(db: DbOrTx, actor: TActor, chatId: number) {
  const [row] = await selectChats(db, readerOf(actor), [sql`c.id = ${chatId}`], 1);
  return row;
}

/** What the rules and the use-cases need about a chat, locked for the change (FOR UPDATE OF c). */
export type TChatFacts = {
  id: number;
  accountId: number;
  channel: string;
  externalId: string;
  contactUserId: number;
  assigneeId: number | null;
  ticketId: number | null;
  ticketStatus: string | null;
  queueId: number | null;
  departmentId: number | null;
  lastMessageId: number | null;
};

const CHAT_FACTS = sql`c.id, c.account_id, c.channel, c.external_id, c.contact_user_id, c.assignee_id,
  c.ticket_id::float8 AS ticket_id, t.status AS ticket_status, ${CHAT_QUEUE_SQL} AS queue_id,
  (SELECT q.department_id FROM queues q WHERE q.id = ${CHAT_QUEUE_SQL}) AS department_id,
  c.last_message_id::float8 AS last_message_id`;

const toFacts = (r: Record<string, unknown>): TChatFacts => {
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: Number(r.id),
    accountId: Number(r.account_id),
    channel: String(r.channel),
    externalId: String(r.external_id),
    contactUserId: Number(r.contact_user_id),
    assigneeId: n(r.assignee_id),
    ticketId: n(r.ticket_id),
    ticketStatus: (r.ticket_status as string | null) ?? null,
    queueId: n(r.queue_id),
    departmentId: n(r.department_id),
    lastMessageId: n(r.last_message_id),
  };
};

/*
 * Lock order, everywhere: the ticket, then its chat, then the assignment lock, then
 * `inbox_agents` rows (an inbound message locks its ticket first). The refill, which takes the
 * assignment lock first, skips chats and tickets that are locked instead of waiting for them.
 */

/** The chat, locked (`lock`) or not, or undefined; `actor` limits it to chats they may see. */
export async function lockChat(
  tx: DbOrTx,
  by: { chatId: number } | { accountId: number; externalId: string },
  actor?: TActor,
  lock = true,
): Promise<TChatFacts | undefined> {
  const where: SQL[] =
    "chatId" in by
      ? [sql`c.id = ${by.chatId}`]
      : [sql`c.account_id = ${by.accountId}`, sql`c.external_id = ${by.externalId}`];
  if (actor) where.push(chatVisibilitySql(actor));
  const result = await tx.execute(sql`
    SELECT ${CHAT_FACTS} FROM ${CHAT_FROM} LEFT JOIN tickets t ON t.id = c.ticket_id
    WHERE ${sql.join(where, sql` AND `)} ${lock ? sql`FOR NO KEY UPDATE OF c` : sql``}`);
  const row = result.rows[0];
  return row ? toFacts(row) : undefined;
}

/** A chat still waiting for an agent, with its open ticket, both locked; undefined when busy or taken. */
export async function lockWaitingChat(tx: DbOrTx, chatId: number): Promise<TChatFacts | undefined> {
  const result = await tx.execute(sql`
    SELECT ${CHAT_FACTS} FROM ${CHAT_FROM} JOIN tickets t ON t.id = c.ticket_id
    WHERE c.id = ${chatId} AND c.assignee_id IS NULL AND t.status <> 'closed'
    FOR NO KEY UPDATE OF c, t SKIP LOCKED`);
  const row = result.rows[0];
  return row ? toFacts(row) : undefined;
}

/** The chat a public message belongs to, if the actor may see it. */
export async function findVisibleChatOfMessage(
  tx: DbOrTx,
  actor: TActor,
  messageId: number,
): Promise<TChatFacts | undefined> {
  const result = await tx.execute(sql`
    SELECT ${CHAT_FACTS}
    FROM ticket_messages m
      JOIN thread_bindings b ON b.ticket_id = m.ticket_id
      JOIN chats c ON c.channel = b.channel AND c.account_id = b.account_id AND c.external_id = b.external_thread_id
      JOIN channel_accounts ca ON ca.id = c.account_id
      LEFT JOIN tickets t ON t.id = c.ticket_id
    WHERE m.id = ${messageId} AND NOT m.is_internal AND ${chatVisibilitySql(actor)}
    LIMIT 1`);
  const row = result.rows[0];
  return row ? toFacts(row) : undefined;
}

/** Whether a public message belongs to the chat. */
export async function isMessageOfChat(db: DbOrTx, chatId: number, messageId: number): Promise<boolean> {
  const result = await db.execute(sql`
    SELECT 1 FROM chats c ${CHAT_MESSAGES_JOIN} WHERE c.id = ${chatId} AND m.id = ${messageId} LIMIT 1`);
  return result.rows.length > 0;
}

export type TChatMessageRow = {
  id: number;
  ticket_id: number;
  body: string;
  created_at: Date | string;
  author_id: number;
  author_name: string;
  author_role: string;
  is_inbound: boolean;
};

/** A page of a chat's public messages, newest first (`beforeId`: older than that one). */
export async function listChatMessageRows(
  db: DbOrTx,
  chatId: number,
  page: { limit: number; beforeId?: number; messageId?: number },
): Promise<TChatMessageRow[]> {
  const extra: SQL[] = [sql`c.id = ${chatId}`];
  if (page.beforeId !== undefined) extra.push(sql`m.id < ${page.beforeId}`);
  if (page.messageId !== undefined) extra.push(sql`m.id = ${page.messageId}`);
  const result = await db.execute(sql`
    SELECT m.id::float8 AS id, m.ticket_id::float8 AS ticket_id, m.body, m.created_at,
      u.id AS author_id, u.name AS author_name, u.role AS author_role, (m.author_id = b.contact_user_id) AS is_inbound
    FROM chats c ${CHAT_MESSAGES_JOIN} JOIN users u ON u.id = m.author_id
    WHERE ${sql.join(extra, sql` AND `)}
    ORDER BY m.id DESC LIMIT ${page.limit}`);
  return result.rows as TChatMessageRow[];
}

/** Files of these messages. */
export async function findMessageAttachments(db: DbOrTx, messageIds: number[]) {
  if (messageIds.length === 0) return [];
  return db.select().from(attachments).where(inArray(attachments.messageId, messageIds));
}

/** Marks the chat read up to `messageId` for the user; never moves the mark back. */
export async function upsertChatRead(db: DbOrTx, chatId: number, userId: number, messageId: number) {
  await db.execute(sql`
    INSERT INTO chat_reads (chat_id, user_id, last_read_message_id) VALUES (${chatId}, ${userId}, ${messageId})
    ON CONFLICT (chat_id, user_id) DO UPDATE
    SET last_read_message_id = greatest(chat_reads.last_read_message_id, excluded.last_read_message_id),
        updated_at = now()`);
}

/**
 * A new ticket's opening text as its first public message (by the contact, no history row: the
 * ticket's `created` row tells it), with the files the ticket got. Returns the message id.
 */
export async function insertOpeningMessage(
  tx: DbOrTx,
  m: { ticketId: number; authorId: number; text: string; source: TTicketSource },
): Promise<number> {
  const [row] = await tx
    .insert(ticketMessages)
    .values({ ticketId: m.ticketId, authorId: m.authorId, body: m.text, isInternal: false, source: m.source })
    .returning({ id: ticketMessages.id });
  await tx.execute(sql`
    UPDATE attachments SET message_id = ${row!.id} WHERE ticket_id = ${m.ticketId} AND message_id IS NULL`);
  return row!.id;
}

/** Creates the chat of a thread on its first message (a concurrent first message makes none twice). */
export async function insertChatIfNew(
  tx: DbOrTx,
  c: { accountId: number; channel: string; externalId: string; contactUserId: number; title: string },
) {
  await tx.execute(sql`
    INSERT INTO chats (account_id, channel, external_id, contact_user_id, title)
    VALUES (${c.accountId}, ${c.channel}, ${c.externalId}, ${c.contactUserId}, ${c.title})
    ON CONFLICT (account_id, external_id) DO NOTHING`);
}

/** The contact wrote: the chat's ticket, contact, title and latest message. */
export async function updateChatInbound(
  tx: DbOrTx,
  chatId: number,
  c: { contactUserId: number; title: string; ticketId: number; messageId: number },
) {
  await tx.execute(sql`
    UPDATE chats SET contact_user_id = ${c.contactUserId}, title = ${c.title}, ticket_id = ${c.ticketId},
      last_message_id = ${c.messageId}, last_inbound_message_id = ${c.messageId},
      last_message_at = now(), last_inbound_at = now()
    WHERE id = ${chatId}`);
}

/**
 * Staff answered on a ticket: the chats it is bound to show it as their latest message. Never
 * moves back (a late event for an older message changes nothing).
 */
export async function updateChatsOutbound(db: DbOrTx, ticketId: number, messageId: number) {
  await db.execute(sql`
    UPDATE chats c SET last_message_id = ${messageId}, last_message_at = now()
    FROM thread_bindings b
    WHERE b.ticket_id = ${ticketId} AND c.channel = b.channel AND c.account_id = b.account_id
      AND c.external_id = b.external_thread_id AND coalesce(c.last_message_id, 0) < ${messageId}`);
}

/** The chat whose current ticket this is. */
export async function findChatIdByTicket(db: DbOrTx, ticketId: number): Promise<number | null> {
  const result = await db.execute(sql`SELECT id FROM chats WHERE ticket_id = ${ticketId} LIMIT 1`);
  const row = result.rows[0];
  return row ? Number(row.id) : null;
}

/** Chats with an open ticket and nobody on them, longest waiting first. */
export async function findWaitingChatIds(db: DbOrTx, limit: number): Promise<number[]> {
  const result = await db.execute(sql`
    SELECT c.id FROM chats c JOIN tickets t ON t.id = c.ticket_id
    WHERE c.assignee_id IS NULL AND t.status <> 'closed'
    ORDER BY c.last_inbound_at, c.id LIMIT ${limit}`);
  return result.rows.map((r) => Number(r.id));
}

/** Sets (or clears) the chat's agent. */
export async function setChatAssignee(tx: DbOrTx, chatId: number, userId: number | null) {
  await tx.execute(sql`
    UPDATE chats SET assignee_id = ${userId}, assigned_at = ${userId === null ? null : sql`now()`}
    WHERE id = ${chatId}`);
}

/** An agent was given a chat: the round robin's clock (clock_timestamp: distinct within one transaction). */
export async function noteAgentAssigned(tx: DbOrTx, userId: number) {
  await tx.execute(sql`
    INSERT INTO inbox_agents (user_id, last_assigned_at) VALUES (${userId}, clock_timestamp())
    ON CONFLICT (user_id) DO UPDATE SET last_assigned_at = clock_timestamp(), updated_at = now()`);
}

/**
 * Executors of the department who may take chats: active, and (when `availableWithinMinutes`)
 * signed in (a live login session) and seen within that many minutes. With their load (chats
 * with an open ticket, `excludeChatId` left out) and limit; least loaded first, then the one
 * given a chat longest ago.
 */
export async function findAgentCandidates(
  db: DbOrTx,
  q: {
    departmentId: number;
    defaultMax: number;
    excludeChatId: number;
    availableWithinMinutes?: number;
    userId?: number;
  },
) {
  const filters: SQL[] = [
    sql`ud.department_id = ${q.departmentId}`,
    sql`u.role = 'executor'`,
    sql`u.is_active`,
  ];
  if (q.userId !== undefined) filters.push(sql`u.id = ${q.userId}`);
  if (q.availableWithinMinutes !== undefined) {
    filters.push(
      sql`greatest(u.last_seen_at, u.last_login_at) > now() - make_interval(mins => ${q.availableWithinMinutes})`,
      sql`EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now())`,
    );
  }
  const result = await db.execute(sql`
    SELECT x.* FROM (
      SELECT u.id, u.name, coalesce(a.max_active_chats, ${q.defaultMax}) AS max_chats, a.last_assigned_at,
        (SELECT count(*)::int FROM chats c JOIN tickets t ON t.id = c.ticket_id
          WHERE c.assignee_id = u.id AND t.status <> 'closed' AND c.id <> ${q.excludeChatId}) AS load
      FROM users u JOIN user_departments ud ON ud.user_id = u.id
        LEFT JOIN inbox_agents a ON a.user_id = u.id
      WHERE ${sql.join(filters, sql` AND `)}) x
    ORDER BY x.load, x.last_assigned_at NULLS FIRST, x.id`);
  return result.rows.map((r) => ({
    id: Number(r.id),
    name: String(r.name),
    load: Number(r.load),
    maxChats: Number(r.max_chats),
  }));
}

/** Takes the one inbox assignment lock until the transaction ends (see inbox.assignment.ts). */
export async function lockAssignments(tx: DbOrTx, key: number) {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${key})`);
}

// --- for the WebSocket hub (topic `chats`) -------------------------------------------------

/**
 * The chat as the list shows it, once, with the unread count of each of these readers (the
 * hub presents one chat to everyone allowed to see it: two queries, whatever their number).
 * The caller has decided who may see it.
 */
export async function findChatRowForReaders(
  db: DbOrTx,
  chatId: number,
  readerIds: number[],
): Promise<{ row: TChatRow; unread: Map<number, number> } | undefined> {
  const [row] = await selectChats(db, { id: 0, visibility: sql`true` }, [sql`c.id = ${chatId}`], 1);
  if (!row) return undefined;
  const unread = new Map<number, number>();
  if (readerIds.length === 0) return { row, unread };
  const result = await db.execute(sql`
    SELECT u.id AS user_id,
      CASE WHEN c.last_inbound_message_id > coalesce(r.last_read_message_id, 0)
        THEN (SELECT count(*)::int FROM ${BOUND_MESSAGES}
              AND m.author_id = b.contact_user_id AND m.id > coalesce(r.last_read_message_id, 0))
        ELSE 0 END AS unread_count
    FROM chats c CROSS JOIN unnest(${idArray(readerIds, "int")}) AS u(id)
      LEFT JOIN chat_reads r ON r.chat_id = c.id AND r.user_id = u.id
    WHERE c.id = ${chatId}`);
  for (const r of result.rows) unread.set(Number(r.user_id), Number(r.unread_count));
  return { row, unread };
}

/** A chat a ticket is bound to, with what `canViewChat` needs. */
export type TTicketChat = {
  id: number;
  assigneeId: number | null;
  queueId: number | null;
  ticketId: number | null;
};

/** The chats a ticket's messages belong to (through its bindings; in practice one). */
export async function findChatsOfTicket(db: DbOrTx, ticketId: number): Promise<TTicketChat[]> {
  const result = await db.execute(sql`
    SELECT DISTINCT c.id, c.assignee_id, ${CHAT_QUEUE_SQL} AS queue_id, c.ticket_id::float8 AS ticket_id
    FROM thread_bindings b
      JOIN chats c ON c.channel = b.channel AND c.account_id = b.account_id AND c.external_id = b.external_thread_id
      JOIN channel_accounts ca ON ca.id = c.account_id
    WHERE b.ticket_id = ${ticketId}`);
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return result.rows.map((r) => ({
    id: Number(r.id),
    assigneeId: n(r.assignee_id),
    queueId: n(r.queue_id),
    ticketId: n(r.ticket_id),
  }));
}

/**
 * The opening message `touchChat` wrote for a new ticket: its first public message that has no
 * `message` event of its own (the ticket's `created` event stands for it). Null when none.
 */
export async function findOpeningMessageId(db: DbOrTx, ticketId: number): Promise<number | null> {
  const result = await db.execute(sql`
    SELECT min(m.id)::float8 AS id FROM ticket_messages m
    WHERE m.ticket_id = ${ticketId} AND NOT m.is_internal
      AND NOT EXISTS (SELECT 1 FROM ticket_events me WHERE me.ticket_id = m.ticket_id AND me.type = 'message'
        AND me.data->>'message_id' = m.id::text)`);
  const id = result.rows[0]?.id;
  return id === null || id === undefined ? null : Number(id);
}

/** A ticket event of a chat's ticket, as the `chats` catch-up replays it. */
export type TMissedChatEvent = {
  id: number;
  ticketId: number;
  type: string;
  data: Record<string, unknown>;
  chatId: number;
  /** The chat's current ticket (a change of an older ticket does not change the chat). */
  chatTicketId: number | null;
};

/** The ticket event types that make `chats` frames. */
export const CHAT_EVENT_TYPES = ["created", "message", "assigned", "unassigned", "status_changed"] as const;

/**
 * Ticket events after `since` on tickets bound to chats the actor may see now, oldest first,
 * at most `limit` (ask for one more than you send). Internal events never make chat frames.
 */
export async function findMissedChatEvents(
  db: DbOrTx,
  actor: TActor,
  input: { since: number; limit: number },
): Promise<TMissedChatEvent[]> {
  const types = sql.join(
    CHAT_EVENT_TYPES.map((t) => sql`${t}`),
    sql`, `,
  );
  const result = await db.execute(sql`
    SELECT e.id::float8 AS id, e.ticket_id::float8 AS ticket_id, e.type, e.data, c.id AS chat_id,
      c.ticket_id::float8 AS chat_ticket_id
    FROM ticket_events e
      JOIN thread_bindings b ON b.ticket_id = e.ticket_id
      JOIN chats c ON c.channel = b.channel AND c.account_id = b.account_id AND c.external_id = b.external_thread_id
      JOIN channel_accounts ca ON ca.id = c.account_id
    WHERE e.id > ${input.since} AND NOT e.is_internal AND e.type IN (${types}) AND ${chatVisibilitySql(actor)}
    ORDER BY e.id, c.id LIMIT ${input.limit}`);
  return result.rows.map((r) => ({
    id: Number(r.id),
    ticketId: Number(r.ticket_id),
    type: String(r.type),
    data: (r.data as Record<string, unknown> | null) ?? {},
    chatId: Number(r.chat_id),
    chatTicketId: r.chat_ticket_id === null ? null : Number(r.chat_ticket_id),
  }));
}
