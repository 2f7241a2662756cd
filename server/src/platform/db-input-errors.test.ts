import { describe, expect, it } from "vitest";
import { classifyDatabaseInputError } from "./db-input-errors.js";

const driverError = (code: string) => Object.assign(new Error(`driver ${code}`), { code });
/** The shape drizzle throws: DrizzleQueryError with the driver's error as `cause`. */
const wrapped = (code: string) => Object.assign(new Error("Failed query: …"), { cause: driverError(code) });

describe("classifyDatabaseInputError", () => {
  it("takes data exceptions and input integrity errors, wrapped or not, as request.invalid_value", () => {
    for (const code of [
      "22P05",
      "22003",
      "22021",
      "22001",
      "22P02",
      "22007",
      "22008",
      "23502",
      "23503",
      "23514",
    ]) {
      expect(classifyDatabaseInputError(wrapped(code)), code).toMatchObject({
        code: "request.invalid_value",
        sqlState: code,
      });
      expect(classifyDatabaseInputError(driverError(code))?.sqlState, code).toBe(code);
    }
  });

  it("leaves conflicts, server faults and non-database errors alone", () => {
    for (const error of [
      wrapped("23505"),
      wrapped("40001"),
      wrapped("57P01"),
      wrapped("08006"),
      driverError("EPIPE"),
    ]) {
      expect(classifyDatabaseInputError(error)).toBeUndefined();
    }
    expect(classifyDatabaseInputError(new Error("x"))).toBeUndefined();
    expect(classifyDatabaseInputError(undefined)).toBeUndefined();
    expect(classifyDatabaseInputError({ code: "tickets.not_found" })).toBeUndefined();
  });

  it("logs each one at error level as a bug", () => {
    const logged: unknown[][] = [];
    const log = { error: (...args: unknown[]) => logged.push(args) };
    classifyDatabaseInputError(wrapped("22003"), log as never);
    expect(logged).toHaveLength(1);
    expect(logged[0]![1]).toMatch(/^bug: /);
  });
});
