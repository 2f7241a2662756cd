import { type SQL, sql } from "drizzle-orm";
import type { DbOrTx } from "./index.js";

/** Rows a background sweep touches per statement: each statement stays short. */
export const SWEEP_BATCH = 500;

/** Gives the event loop (and, on the embedded database, waiting requests) a turn. */
export const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Deletes the rows of `table` matching `where`, `batch` rows per statement, yielding between
 * statements, so a large clean-up never holds locks or the embedded database's single
 * connection for long. `table` is a constant from the code, never input. Returns the count.
 */
export async function deleteInBatches(
  db: DbOrTx,
  table: string,
  where: SQL,
  batch = SWEEP_BATCH,
): Promise<number> {
  let total = 0;
  for (;;) {
    const t = sql.raw(table);
    const result = await db.execute<{ n: number }>(sql`
      WITH gone AS (
        DELETE FROM ${t} WHERE ctid IN (SELECT ctid FROM ${t} WHERE ${where} LIMIT ${batch})
        RETURNING 1)
      SELECT count(*)::int AS n FROM gone`);
    const n = Number(result.rows[0]?.n ?? 0);
    total += n;
    if (n < batch) return total;
    await yieldToOthers();
  }
}
