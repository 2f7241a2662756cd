import { sql } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/index.js";

/** The status page's counts, in one round trip. */
export async function countForStatus(db: DbOrTx) {
  const result = await db.execute<{
    tickets: number;
    open_tickets: number;
    archived_tickets: number;
    active_users: number;
  }>(sql`
    SELECT
      (SELECT count(*)::int FROM tickets) AS tickets,
      (SELECT count(*)::int FROM tickets WHERE status <> 'closed') AS open_tickets,
      (SELECT count(*)::int FROM tickets WHERE archived_at IS NOT NULL) AS archived_tickets,
      (SELECT count(*)::int FROM users WHERE is_active) AS active_users`);
  const row = result.rows[0];
  return {
    tickets: Number(row?.tickets ?? 0),
    open_tickets: Number(row?.open_tickets ?? 0),
    archived_tickets: Number(row?.archived_tickets ?? 0),
    active_users: Number(row?.active_users ?? 0),
  };
}
