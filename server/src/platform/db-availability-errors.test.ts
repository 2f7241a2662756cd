import { describe, expect, it } from "vitest";
import {
  classifyDatabaseUnavailableError,
  DATABASE_RETRY_AFTER_SECONDS,
  isDatabaseUnavailableError,
} from "./db-availability-errors.js";

const withCode = (code: string, message = `driver ${code}`) => Object.assign(new Error(message), { code });
/** The shape drizzle throws: DrizzleQueryError with the driver's error as `cause`. */
const wrapped = (cause: unknown) => Object.assign(new Error("Failed query: select 1"), { cause });

describe("isDatabaseUnavailableError", () => {
  it("takes connection exceptions, shutdowns, start-up and too many connections, wrapped or not", () => {
    for (const code of [
      "08000",
      "08003",
      "08006",
      "08001",
      "08P01",
      "57P01",
      "57P02",
      "57P03",
      "53300",
      "57014",
    ]) {
      expect(isDatabaseUnavailableError(withCode(code)), code).toBe(true);
      expect(isDatabaseUnavailableError(wrapped(withCode(code))), code).toBe(true);
    }
  });

  it("takes socket errors, the driver's connection messages and the pool's connect timeout", () => {
    for (const code of ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH"]) {
      expect(isDatabaseUnavailableError(wrapped(withCode(code))), code).toBe(true);
    }
    for (const message of [
      "Connection terminated unexpectedly",
      "Connection terminated",
      "Connection terminated due to connection timeout",
      "timeout exceeded when trying to connect",
      "Client has encountered a connection error and is not queryable",
    ]) {
      expect(isDatabaseUnavailableError(wrapped(new Error(message))), message).toBe(true);
    }
    // Node's connect to a name with several addresses fails with one error per address.
    const aggregate = new AggregateError([withCode("ECONNREFUSED"), withCode("ECONNREFUSED")], "");
    expect(isDatabaseUnavailableError(aggregate)).toBe(true);
  });

  it("leaves query errors, input errors, programming errors and non-errors alone", () => {
    for (const code of ["23505", "22P02", "42P01", "42703", "40001", "XX000"]) {
      expect(isDatabaseUnavailableError(wrapped(withCode(code))), code).toBe(false);
    }
    expect(isDatabaseUnavailableError(new TypeError("Cannot read properties of undefined"))).toBe(false);
    expect(isDatabaseUnavailableError(new Error("Connection refused by policy, terminated"))).toBe(false);
    expect(isDatabaseUnavailableError(undefined)).toBe(false);
    expect(isDatabaseUnavailableError("ECONNREFUSED")).toBe(false);
  });

  it("stops at a cause cycle", () => {
    const a: Error & { cause?: unknown } = new Error("a");
    a.cause = wrapped(a);
    expect(isDatabaseUnavailableError(a)).toBe(false);
  });
});

describe("classifyDatabaseUnavailableError", () => {
  it("answers 503 service.database_unavailable with a retry delay", () => {
    const error = classifyDatabaseUnavailableError(wrapped(withCode("57P01")));
    expect(error).toMatchObject({
      code: "service.database_unavailable",
      statusCode: 503,
      details: { retry_after_seconds: DATABASE_RETRY_AFTER_SECONDS },
    });
    expect(classifyDatabaseUnavailableError(withCode("23505"))).toBeUndefined();
  });
});
