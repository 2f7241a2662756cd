import type { TTicketEventType, TTicketStatus } from "@helpdesk/contracts";
import { type SQL, sql } from "drizzle-orm";
import { idArray } from "../../platform/db/id-array.js";
import type { Db } from "../../platform/db/index.js";
import type { TActor } from "../auth/auth.actor.js";
import { canSeeInternalNotes, type TTicketAccess, ticketVisibilitySql } from "../tickets/tickets.policies.js";

/** A ticket_events row as the WebSocket sends it. */
export type TMissedEvent = {
  id: number;
  ticket_id: number;
  type: TTicketEventType;
  actor_id: number | null;
  data: Record<string, unknown>;
  is_internal: boolean;
  created_at: Date | string;
};

/** The facts `canViewTicket` needs; null when the ticket no longer exists. */
export async function findTicketAccess(db: Db, ticketId: number): Promise<TTicketAccess | null> {
  const result = await db.execute(sql`
    SELECT requester_id, assignee_id, queue_id, status FROM tickets WHERE id = ${ticketId}`);
  const row = result.rows[0] as
    | { requester_id: number; assignee_id: number | null; queue_id: number; status: TTicketStatus }
    | undefined;
  if (!row) return null;
  return {
    requesterId: Number(row.requester_id),
    assigneeId: row.assignee_id === null ? null : Number(row.assignee_id),
    queueId: Number(row.queue_id),
    status: row.status,
  };
}

/** The newest ticket event id (0 when there is none): where a fresh client starts. */
export async function findLastEventId(db: Db): Promise<number> {
  const result = await db.execute(sql`SELECT coalesce(max(id), 0)::float8 AS id FROM ticket_events`);
  return Number((result.rows[0] as { id: number } | undefined)?.id ?? 0);
}

/**
 * Events after `since` that the actor may see, oldest first, at most `limit` (ask for one
 * more than you send to know whether there are more). `ticketIds` null means all tickets.
 */
export async function findMissedEvents(
  db: Db,
  actor: TActor,
  input: { since: number; ticketIds: number[] | null; limit: number },
): Promise<TMissedEvent[]> {
  const filters: SQL[] = [sql`e.id > ${input.since}`, ticketVisibilitySql(actor)];
  if (!canSeeInternalNotes(actor)) filters.push(sql`NOT e.is_internal`);
  if (input.ticketIds) {
    if (input.ticketIds.length === 0) return [];
    filters.push(sql`e.ticket_id = ANY(${idArray(input.ticketIds)})`);
  }
  const result = await db.execute(sql`
    SELECT e.id::float8 AS id, e.ticket_id::float8 AS ticket_id, e.type, e.actor_id, e.data, e.is_internal, e.created_at
    FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
    WHERE ${sql.join(filters, sql` AND `)}
    ORDER BY e.id LIMIT ${input.limit}`);
  return (result.rows as TMissedEvent[]).map((r) => ({
    ...r,
    id: Number(r.id),
    ticket_id: Number(r.ticket_id),
    actor_id: r.actor_id === null ? null : Number(r.actor_id),
  }));
}

/** Of the given login sessions, the ones still valid (not revoked, not expired). */
export async function findLiveSessionIds(db: Db, sessionIds: string[]): Promise<Set<string>> {
  if (sessionIds.length === 0) return new Set();
  const uuids = sessionIds.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  if (uuids.length === 0) return new Set();
  const result = await db.execute(sql`
    SELECT id::text AS id FROM sessions
    WHERE id = ANY(${sql.raw(`'{${uuids.join(",")}}'::uuid[]`)}) AND revoked_at IS NULL AND expires_at > now()`);
  return new Set((result.rows as { id: string }[]).map((r) => r.id));
}

/** Of the given API token ids, the ones that still exist (a replaced or revoked token is gone). */
export async function findLiveApiTokenIds(db: Db, tokenIds: string[]): Promise<Set<string>> {
  const uuids = tokenIds.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  if (uuids.length === 0) return new Set();
  const result = await db.execute(sql`
    SELECT id::text AS id FROM api_tokens WHERE id = ANY(${sql.raw(`'{${uuids.join(",")}}'::uuid[]`)})`);
  return new Set((result.rows as { id: string }[]).map((r) => r.id));
}
