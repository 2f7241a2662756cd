import { AppError } from "./errors.js";

/**
 * SQLSTATEs that mean "the database cannot serve you now", not "your query is wrong": class 08
 * (connection exception), 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now
 * (starting up, shutting down, in recovery), 53300 too many connections, and 57014 query
 * canceled (our statement timeout: the database is too slow to answer in time).
 */
const UNAVAILABLE_STATES = new Set(["57P01", "57P02", "57P03", "53300", "57014"]);
const isConnectionException = (state: string) => /^08[0-9A-Z]{3}$/.test(state);

/** Socket errors from Node while reaching or talking to the database server. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * node-postgres reports a lost or never-made connection with a plain Error and no code, so the
 * message is all there is: "Connection terminated unexpectedly", "Connection terminated due to
 * connection timeout", the pool's "timeout exceeded when trying to connect", and a client that
 * already failed ("Client has encountered a connection error and is not queryable").
 */
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error/,
  /^Connection ended unexpectedly/,
  /^Query read timeout/,
];

/** How long a client is told to wait (Retry-After) while the database is unavailable. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/**
 * Whether an error means the database is unreachable or refusing work for now (PostgreSQL
 * restarting, failing over, out of connections, too slow), wherever it is wrapped: drizzle's
 * DrizzleQueryError keeps the driver's error as `cause`, Node's connect errors may be an
 * AggregateError of one per address.
 */
export function isDatabaseUnavailableError(error: unknown, depth = 0): boolean {
  if (depth > 5 || !error || typeof error !== "object") return false;
  const e = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === "string") {
    if (UNAVAILABLE_STATES.has(e.code) || isConnectionException(e.code) || NETWORK_CODES.has(e.code))
      return true;
  }
  if (typeof e.message === "string" && DRIVER_MESSAGES.some((m) => m.test(e.message as string))) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isDatabaseUnavailableError(inner, depth + 1)))
    return true;
  return isDatabaseUnavailableError(e.cause, depth + 1);
}

/** The API's answer while the database is unavailable: 503 with Retry-After. */
export const createDatabaseUnavailableError = () =>
  new AppError(
    "service.database_unavailable",
    503,
    "The database is unavailable right now; try again shortly",
    { retry_after_seconds: DATABASE_RETRY_AFTER_SECONDS },
  );

/**
 * A database-availability error as the 503 AppError, undefined for anything else (which stays
 * a 500 and is logged as a bug).
 */
export function classifyDatabaseUnavailableError(error: unknown): AppError | undefined {
  return isDatabaseUnavailableError(error) ? createDatabaseUnavailableError() : undefined;
}
