import type { FastifyBaseLogger } from "fastify";

/**
 * SQLSTATEs that only a value sent by the client can cause: class 22 (data exception: a NUL or
 * unpaired surrogate, a number out of range, text that is not a number or a date, a string too
 * long) and the integrity checks a missing or wrong value trips (23502 not null, 23503 foreign
 * key, 23514 check). Unique violations (23505) are left out: they are conflicts, and races.
 */
const INPUT_STATES: Record<string, string> = {
  "23502": "a required value is missing",
  "23503": "a value refers to something that does not exist",
  "23514": "a value is not allowed",
};
const isDataException = (state: string) => /^22[0-9A-Z]{3}$/.test(state);

/** The driver's error inside whatever wraps it (drizzle's DrizzleQueryError keeps it as `cause`). */
function findSqlState(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export type TDatabaseInputError = { code: "request.invalid_value"; message: string; sqlState: string };

/**
 * The safety net behind validation: a database error that a value in the request caused
 * (PostgreSQL and PGlite alike), as a 400 `request.invalid_value`. Each one is logged at error
 * level as a bug, because the request should have been refused before it reached the database.
 * Returns undefined for every other error.
 */
export function classifyDatabaseInputError(
  error: unknown,
  log?: FastifyBaseLogger,
): TDatabaseInputError | undefined {
  const sqlState = findSqlState(error);
  if (!sqlState || !(isDataException(sqlState) || sqlState in INPUT_STATES)) return undefined;
  log?.error({ err: error, sqlState }, "bug: a request value reached the database unvalidated");
  return {
    code: "request.invalid_value",
    message: `The request has a value that cannot be stored (${INPUT_STATES[sqlState] ?? "invalid data"})`,
    sqlState,
  };
}
