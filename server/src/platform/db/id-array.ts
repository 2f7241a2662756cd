import { type SQL, sql } from "drizzle-orm";

/**
 * A literal array of ids (`'{1,2,3}'::bigint[]`) for `= ANY(...)` and `unnest(...)`: one
 * parameter-free fragment whatever the length, which drivers would otherwise send as one
 * parameter per id. Only safe integers get in; anything else is dropped, so the literal can
 * never carry text.
 */
export function idArray(ids: readonly number[], type: "int" | "bigint" = "bigint"): SQL {
  const safe = ids.map(Number).filter(Number.isSafeInteger);
  return sql.raw(`'{${safe.join(",")}}'::${type}[]`);
}
