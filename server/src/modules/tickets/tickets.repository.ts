import type { TTicketListQuery, TTicketSource, TTicketStatus } from "@helpdesk/contracts";
import { type SQL, sql } from "drizzle-orm";
import { idArray } from "../../platform/db/id-array.js";
import type { DbOrTx } from "../../platform/db/index.js";
import { decodeCursor, encodeCursor } from "../../platform/http.js";
import type { TActor } from "../auth/auth.actor.js";
import { ticketVisibilitySql } from "./tickets.policies.js";

/** A ticket joined with the names the API shows. */
export type TTicketRow = {
  id: number;
  title: string;
  description: string;
  status: TTicketStatus;
  source: TTicketSource;
  priority_id: number;
  priority_slug: string;
  priority_name_ru: string;
  priority_name_en: string;
  category_id: number | null;
  category_slug: string | null;
  category_name_ru: string | null;
  category_name_en: string | null;
  queue_id: number;
  queue_slug: string;
  queue_name_ru: string;
  queue_name_en: string;
  requester_id: number;
  requester_name: string;
  requester_email: string | null;
  assignee_id: number | null;
  assignee_name: string | null;
  assignee_email: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  first_response_at: Date | string | null;
  closed_at: Date | string | null;
  archived_at: Date | string | null;
  rank?: number;
};

const SELECT_TICKET = sql`
  SELECT t.id::float8 AS id, t.title, t.description, t.status, t.source,
    t.priority_id, p.slug AS priority_slug, p.name_ru AS priority_name_ru, p.name_en AS priority_name_en,
    t.category_id, c.slug AS category_slug, c.name_ru AS category_name_ru, c.name_en AS category_name_en,
    t.queue_id, q.slug AS queue_slug, q.name_ru AS queue_name_ru, q.name_en AS queue_name_en,
    t.requester_id, r.name AS requester_name, r.email AS requester_email,
    t.assignee_id, a.name AS assignee_name, a.email AS assignee_email,
    t.created_at, t.updated_at, t.first_response_at, t.closed_at, t.archived_at`;

const FROM_TICKET = sql`
  FROM tickets t
  JOIN priorities p ON p.id = t.priority_id
  JOIN queues q ON q.id = t.queue_id
  JOIN users r ON r.id = t.requester_id
  LEFT JOIN categories c ON c.id = t.category_id
  LEFT JOIN users a ON a.id = t.assignee_id`;

/** An attachment of a ticket as read with it (is_internal: it belongs to an internal note). */
export type TTicketAttachmentRow = {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  created_at: string;
  message_id: number | null;
  is_internal: boolean;
};

const SELECT_ATTACHMENTS = sql`,
  (SELECT coalesce(json_agg(json_build_object(
      'id', x.id, 'filename', x.filename, 'content_type', x.content_type, 'size', x.size,
      'created_at', x.created_at, 'message_id', x.message_id, 'is_internal', coalesce(m.is_internal, false)
    ) ORDER BY x.created_at), '[]'::json)
   FROM attachments x LEFT JOIN ticket_messages m ON m.id = x.message_id WHERE x.ticket_id = t.id) AS attachments`;

/** One ticket with its names; with `attachments`, its files too (one round trip). */
export async function findTicketRow(
  db: DbOrTx,
  id: number,
  options: { attachments?: boolean } = {},
): Promise<(TTicketRow & { attachments?: TTicketAttachmentRow[] }) | undefined> {
  const result = await db.execute(
    sql`${SELECT_TICKET}${options.attachments ? SELECT_ATTACHMENTS : sql``} ${FROM_TICKET} WHERE t.id = ${id}`,
  );
  return result.rows[0] as (TTicketRow & { attachments?: TTicketAttachmentRow[] }) | undefined;
}

/**
 * Locks the ticket row for an update in this transaction and returns its access facts.
 * NO KEY UPDATE: changes to one ticket still wait for each other, but rows that merely point
 * at it (the notifications a fan-out writes hold KEY SHARE locks on their tickets) do not
 * hold up a reply.
 */
export async function lockTicket(db: DbOrTx, id: number) {
  const result = await db.execute(sql`
    SELECT id::float8 AS id, requester_id, assignee_id, queue_id, status, title, description, priority_id,
      category_id, first_response_at, closed_at, archived_at,
      (SELECT u.name FROM users u WHERE u.id = tickets.assignee_id) AS assignee_name
    FROM tickets WHERE id = ${id} FOR NO KEY UPDATE`);
  const r = result.rows[0] as
    | {
        id: number;
        requester_id: number;
        assignee_id: number | null;
        queue_id: number;
        status: TTicketStatus;
        title: string;
        description: string;
        priority_id: number;
        category_id: number | null;
        first_response_at: Date | null;
        closed_at: Date | null;
        archived_at: Date | null;
        assignee_name: string | null;
      }
    | undefined;
  if (!r) return undefined;
  return {
    ...r,
    requesterId: r.requester_id,
    assigneeId: r.assignee_id,
    queueId: r.queue_id,
  };
}

/** List cursor `{id}`; a search cursor adds the window bound `w`, the rank `r`, and `c: 1` for a corrected query. */
type TCursor = { id: number; w?: number; r?: number; c?: number };
const isCursor = (v: unknown): v is TCursor => {
  if (typeof v !== "object" || v === null) return false;
  const c = v as TCursor;
  // Ids and window bounds are compared with bigint columns: whole numbers in the exact range only.
  const isId = (x: unknown) => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
  return (
    isId(c.id) &&
    (c.w === undefined || isId(c.w)) &&
    (c.r === undefined || (typeof c.r === "number" && Number.isFinite(c.r))) &&
    (c.c === undefined || c.c === 1)
  );
};

const toDateBound = (value: string, end: boolean): Date => {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const d = new Date(`${value}T00:00:00Z`);
    if (end) d.setUTCDate(d.getUTCDate() + 1);
    return d;
  }
  return new Date(value);
};

/**
 * A page of tickets the actor may see, filtered, keyset-paged by id (or by relevance then id
 * when searching). Closed tickets past the auto-hide delay are left out unless asked for;
 * a search looks at them too.
 */
export async function listTickets(
  db: DbOrTx,
  actor: TActor,
  query: TTicketListQuery & { fixed?: SQL },
): Promise<{ rows: TTicketRow[]; next: string | null; corrected?: string }> {
  const where: SQL[] = [ticketVisibilitySql(actor)];
  if (query.fixed) where.push(query.fixed);
  // One value is written `=`, not `= ANY(...)`: then an index such as (queue_id, id) is read in
  // id order and the first page stops early (PostgreSQL 15 cannot do that for `= ANY`).
  const oneOf = (column: string, values: (string | number)[], type: "int" | "text") =>
    values.length === 1
      ? sql`${sql.raw(column)} = ${values[0]}`
      : sql`${sql.raw(column)} = ANY(${sql.raw(`'{${values.map((v) => (type === "int" ? Math.trunc(Number(v)) : v)).join(",")}}'::${type}[]`)})`;
  if (query.status?.length) where.push(oneOf("t.status", query.status, "text"));
  if (query.priority_id?.length) where.push(oneOf("t.priority_id", query.priority_id, "int"));
  if (query.category_id?.length) where.push(oneOf("t.category_id", query.category_id, "int"));
  if (query.queue_id?.length) where.push(oneOf("t.queue_id", query.queue_id, "int"));
  if (query.assignee_id === "none") where.push(sql`t.assignee_id IS NULL`);
  else if (query.assignee_id === "me") where.push(sql`t.assignee_id = ${actor.id}`);
  else if (query.assignee_id !== undefined) where.push(sql`t.assignee_id = ${query.assignee_id}`);
  if (query.requester_id !== undefined) where.push(sql`t.requester_id = ${query.requester_id}`);
  if (query.created_from)
    where.push(sql`t.created_at >= ${toDateBound(query.created_from, false).toISOString()}`);
  if (query.created_to) where.push(sql`t.created_at < ${toDateBound(query.created_to, true).toISOString()}`);

  const q = query.q?.trim();
  if (query.archived_only) where.push(sql`t.archived_at IS NOT NULL`);
  else if (!query.include_archived && !q) where.push(sql`t.archived_at IS NULL`);

  const cursor = query.cursor ? decodeCursor(query.cursor, isCursor) : undefined;
  const limit = query.limit;

  if (q) {
    if (cursor?.c === 1) {
      const fixed = await correctQuery(db, q, where);
      if (fixed) return searchTickets(db, where, fixed, limit, cursor, true);
    }
    return searchTickets(db, where, q, limit, cursor);
  }

  const asc = query.sort === "created";
  if (cursor) where.push(asc ? sql`t.id > ${cursor.id}` : sql`t.id < ${cursor.id}`);
  const result = await db.execute(sql`${SELECT_TICKET} ${FROM_TICKET}
    WHERE ${sql.join(where, sql` AND `)} ORDER BY t.id ${sql.raw(asc ? "ASC" : "DESC")} LIMIT ${limit + 1}`);
  return page(result.rows as TTicketRow[], limit, (r) => ({ id: r.id }));
}

function page(rows: TTicketRow[], limit: number, cursorOf: (r: TTicketRow) => Record<string, number>) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { rows: items, next: rows.length > limit && last ? encodeCursor(cursorOf(last)) : null };
}

/** Matches ranked together: the newest SEARCH_WINDOW matches at a time, so the cost is bounded. */
const SEARCH_WINDOW = 200;
const MAX_WINDOWS_PER_PAGE = 4;
/** Ids looked at by the first, bounded scan of a window. */
const SEARCH_SPAN = 20_000;

/**
 * Full-text search, best matches first, with a bounded cost however common the words are.
 * Matches (title A, description B, public replies C; Russian and English stems) are taken
 * newest first in windows of SEARCH_WINDOW and ranked within the window (ts_rank, so a title
 * match outranks a body match); `#1042` ranks its ticket first. When no word matches at all,
 * the query is corrected word by word to the nearest words of titles (typos) and run again.
 */
async function searchTickets(
  db: DbOrTx,
  where: SQL[],
  q: string,
  limit: number,
  cursor: TCursor | undefined,
  corrected = false,
): Promise<{ rows: TTicketRow[]; next: string | null; corrected?: string }> {
  const tsq = sql`(websearch_to_tsquery('russian', ${q}) || websearch_to_tsquery('english', ${q}))`;
  const numeric = /^#?\d{1,15}$/.test(q) ? Number(q.replace("#", "")) : null;
  const match = sql`(t.doc_vector @@ ${tsq} OR t.msg_vector @@ ${tsq}${numeric !== null ? sql` OR t.id = ${numeric}` : sql``})`;
  const rank = sql`(ts_rank(t.doc_vector, ${tsq}) + 0.5 * ts_rank(coalesce(t.msg_vector, ''), ${tsq})${
    numeric !== null ? sql` + (CASE WHEN t.id = ${numeric} THEN 10 ELSE 0 END)` : sql``
  })::float8`;
  const base = sql.join(where, sql` AND `);

  /** The SEARCH_WINDOW newest matches below `upper`, with their rank. */
  const fetchWindow = async (upper: number) => {
    type TRow = { id: number; rank: number };
    const toRows = (rows: TRow[]) => rows.map((r) => ({ id: Number(r.id), rank: Number(r.rank) }));
    // The newest SEARCH_SPAN ids first: a common word fills the window here at once, and the
    // scan is bounded whatever plan the planner picks.
    const lower = Math.max(0, upper - SEARCH_SPAN);
    const recent = await db.execute<TRow>(sql`
      SELECT t.id::float8 AS id, ${rank} AS rank FROM tickets t
      WHERE ${base} AND ${match} AND t.id < ${upper} AND t.id >= ${lower}
      ORDER BY t.id DESC LIMIT ${SEARCH_WINDOW}`);
    if (recent.rows.length >= SEARCH_WINDOW || lower === 0) return toRows(recent.rows);
    // A rarer word: its older matches straight from the full-text index (materialised, so the
    // planner cannot turn it into a backward scan of the whole table), newest first.
    const older = await db.execute<TRow>(sql`
      WITH m AS MATERIALIZED (SELECT t.id FROM tickets t WHERE ${base} AND ${match} AND t.id < ${lower})
      SELECT t.id::float8 AS id, ${rank} AS rank FROM m JOIN tickets t ON t.id = m.id
      ORDER BY t.id DESC LIMIT ${SEARCH_WINDOW - recent.rows.length}`);
    return toRows([...recent.rows, ...older.rows]);
  };

  const found: { id: number; w: number; r: number }[] = [];
  let next: TCursor | null = null;

  {
    // The first window starts just above the newest ticket, so its bounded scan holds real ids.
    let upper = cursor?.w ?? (await newestTicketId(db)) + 1;
    let after = cursor && cursor.r !== undefined ? { r: cursor.r, id: cursor.id } : undefined;
    for (let windows = 0; windows < MAX_WINDOWS_PER_PAGE; windows++) {
      const need = limit + 1 - found.length;
      const window = await fetchWindow(upper);
      const ranked = window
        .filter((r) => !after || r.rank < after.r || (r.rank === after.r && r.id < after.id))
        .sort((x, y) => y.rank - x.rank || y.id - x.id)
        .slice(0, need);
      found.push(...ranked.map((r) => ({ id: r.id, w: upper, r: r.rank })));
      const windowFull = window.length >= SEARCH_WINDOW;
      if (found.length > limit) break;
      if (!windowFull) {
        upper = 0;
        break;
      }
      upper = Math.min(...window.map((r) => r.id));
      after = undefined;
    }
    if (found.length > limit) {
      const last = found[limit - 1]!;
      next = { w: last.w, r: last.r, id: last.id, ...(corrected ? { c: 1 } : {}) };
    } else if (upper > 0) {
      // The windows this request may look at are used up: continue from the next window.
      next = { w: upper, id: found.length > 0 ? found.at(-1)!.id : upper, ...(corrected ? { c: 1 } : {}) };
    }
  }

  // Typos: when no word matches at all, each query word becomes its nearest known title word
  // and the search runs once more with that; the pages after it carry `c: 1` to do the same.
  if (!corrected && cursor === undefined && found.length === 0 && next === null) {
    const fixed = await correctQuery(db, q, where);
    if (fixed) {
      const page = await searchTickets(db, where, fixed, limit, undefined, true);
      return { ...page, corrected: fixed };
    }
  }

  const ids = found.slice(0, limit).map((f) => f.id);
  if (ids.length === 0) return { rows: [], next: next ? encodeCursor(next) : null };
  const rows = await db.execute(sql`${SELECT_TICKET} ${FROM_TICKET} WHERE t.id = ANY(${idArray(ids)})`);
  const byId = new Map((rows.rows as TTicketRow[]).map((r) => [Number(r.id), r]));
  return {
    rows: ids.map((id) => byId.get(id)).filter((r): r is TTicketRow => r !== undefined),
    next: next ? encodeCursor(next) : null,
  };
}

/** The highest ticket id (0 when there are none), read from the primary key's end. */
async function newestTicketId(db: DbOrTx): Promise<number> {
  const result = await db.execute<{ id: number | null }>(sql`SELECT max(id)::float8 AS id FROM tickets`);
  return Number(result.rows[0]?.id ?? 0);
}

/** Candidate corrections looked at per query word, most similar first. */
const CORRECTION_CANDIDATES = 8;

/**
 * The query with each word replaced by the most similar known title word (trigrams, similarity
 * ≥ 0.3), or null when nothing changes. Only words of tickets the search itself may return
 * (`where`: the actor's visibility and filters) are offered, so a near-miss never reveals a
 * word of somebody else's ticket.
 */
async function correctQuery(db: DbOrTx, q: string, where: SQL[]): Promise<string | null> {
  const words = (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length >= 3).slice(0, 8);
  if (words.length === 0) return null;
  const base = sql.join(where, sql` AND `);
  const result = await db.execute<{ q: string; fix: string | null }>(sql`
    SELECT w.q, (
      SELECT c.word FROM (
        SELECT s.word, similarity(s.word, w.q) AS sim FROM search_words s WHERE s.word % w.q
        ORDER BY sim DESC, s.word LIMIT ${CORRECTION_CANDIDATES}) c
      WHERE EXISTS (
        SELECT 1 FROM tickets t WHERE ${base}
          AND t.doc_vector @@ (plainto_tsquery('russian', c.word) || plainto_tsquery('english', c.word)))
      ORDER BY c.sim DESC, c.word LIMIT 1) AS fix
    FROM unnest(${`{${words.map((w) => `"${w}"`).join(",")}}`}::text[]) AS w(q)`);
  const fixes = new Map(result.rows.filter((r) => r.fix && r.fix !== r.q).map((r) => [r.q, r.fix!]));
  if (fixes.size === 0) return null;
  return words.map((w) => fixes.get(w) ?? w).join(" ");
}
