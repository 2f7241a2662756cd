import type { TLanguage, TRole } from "@helpdesk/contracts";
import { sql } from "drizzle-orm";
import { idArray } from "../../platform/db/id-array.js";
import type { DbOrTx } from "../../platform/db/index.js";
import type { TActor } from "./auth.actor.js";

/**
 * The columns that make a user an actor (`u` is `users`): role, departments and the queues of
 * those departments. The one definition of what the policies look at, used by the request
 * guard, the WebSocket hub's re-checks, notifications and inbound channels.
 */
export const ACTOR_COLUMNS = `
  u.id, u.role, u.email, u.name, u.language, u.is_active,
  coalesce((SELECT array_agg(ud.department_id) FROM user_departments ud WHERE ud.user_id = u.id), '{}') AS department_ids,
  coalesce((SELECT array_agg(q.id) FROM queues q JOIN user_departments ud ON ud.department_id = q.department_id
            WHERE ud.user_id = u.id), '{}') AS queue_ids`;

export type TActorRow = {
  id: number;
  role: TRole;
  email: string | null;
  name: string;
  language: TLanguage;
  is_active: boolean;
  department_ids: number[] | null;
  queue_ids: number[] | null;
};

/** An actor with whether the account is active, as read now. */
export type TActorState = TActor & { isActive: boolean };

export const actorFromRow = (
  r: TActorRow,
  credentials: { sessionId: string | null; apiTokenId: string | null } = {
    sessionId: null,
    apiTokenId: null,
  },
): TActorState => ({
  id: Number(r.id),
  role: r.role,
  email: r.email,
  name: r.name,
  language: r.language,
  isActive: r.is_active,
  departmentIds: (r.department_ids ?? []).map(Number),
  queueIds: (r.queue_ids ?? []).map(Number),
  ...credentials,
});

/** The users as actors (without credentials), inactive ones included: callers decide what that means. */
export async function findActorsByIds(db: DbOrTx, userIds: number[]): Promise<TActorState[]> {
  const ids = [...new Set(userIds.map(Number).filter(Number.isSafeInteger))];
  if (ids.length === 0) return [];
  const result = await db.execute(
    sql`SELECT ${sql.raw(ACTOR_COLUMNS)} FROM users u WHERE u.id = ANY(${idArray(ids, "int")})`,
  );
  return (result.rows as TActorRow[]).map((r) => actorFromRow(r));
}
