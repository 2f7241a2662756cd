import { type SQL, sql } from "drizzle-orm";
import { idArray } from "../../platform/db/id-array.js";
import type { TActor } from "../auth/auth.actor.js";
import { DEFAULT_QUEUE_SLUG } from "../catalog/catalog.seed.js";

/**
 * The facts about a chat that access rules look at: its assignee and the queue of its channel
 * account (an account without one routes to the default queue, as its tickets do).
 */
export type TChatAccess = { assigneeId: number | null; queueId: number | null };

/**
 * Who sees which chat, in one place. An executor: the chats assigned to them (not their
 * departments' others: agents work their own inbox). An operator: the chats of their
 * departments' queues (through the account's queue). An admin: all. A requester: none.
 */
export const canViewChat = (a: TActor, c: TChatAccess): boolean => {
  switch (a.role) {
    case "admin":
      return true;
    case "requester":
      return false;
    case "executor":
      return c.assigneeId === a.id;
    case "operator":
      return c.queueId !== null && a.queueIds.includes(c.queueId);
  }
};

/** The queue a chat belongs to, over `chats c JOIN channel_accounts ca` (the account's, else the default). */
export const CHAT_QUEUE_SQL = sql.raw(
  `coalesce(ca.queue_id, (SELECT dq.id FROM queues dq WHERE dq.slug = '${DEFAULT_QUEUE_SLUG}'))`,
);

/** The same rule as SQL over `chats c JOIN channel_accounts ca ON ca.id = c.account_id`. */
export const chatVisibilitySql = (a: TActor): SQL => {
  switch (a.role) {
    case "admin":
      return sql`true`;
    case "requester":
      return sql`false`;
    case "executor":
      return sql`c.assignee_id = ${a.id}`;
    case "operator":
      return sql`${CHAT_QUEUE_SQL} = ANY(${idArray(a.queueIds, "int")})`;
  }
};

/** Dispatchers (operators of the department) and admins give chats to agents; executors do not. */
export const canDispatchChats = (a: TActor): boolean => a.role === "operator" || a.role === "admin";
export const canAssignChat = (a: TActor, c: TChatAccess): boolean => canDispatchChats(a) && canViewChat(a, c);
/** Whoever sees a chat may answer in it and mark it read. */
export const canReplyInChat = (a: TActor, c: TChatAccess): boolean => canViewChat(a, c);

/** What the reader may do with a chat, for clients to show the right actions. */
export const chatAbilities = (a: TActor, c: TChatAccess) => ({
  can_reply: canReplyInChat(a, c),
  can_assign: canAssignChat(a, c),
});
