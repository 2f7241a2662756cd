import { describe, expect, it } from "vitest";
import { checkPasswordStrength } from "./auth.password-policy.js";
import { createLoginLimiter } from "./auth.rate-limit.js";

describe("checkPasswordStrength", () => {
  it("accepts a long, personal-data-free password", () => {
    expect(
      checkPasswordStrength("correct horse battery", { email: "anna@example.com", name: "Anna" }),
    ).toEqual([]);
  });
  it.each([
    ["short1", "at least 10 characters"],
    ["password123", "too common"],
    ["zzzzzzzzzzzz", "a single repeated character"],
    ["anna.k-2026-pass", "contains your e-mail address"],
  ])("refuses %s (%s)", (password, reason) => {
    expect(checkPasswordStrength(password, { email: "anna.k@example.com" })).toContain(reason);
  });
});

describe("createLoginLimiter", () => {
  it("blocks a pair after 5 failures until the window passes, and a success clears it", () => {
    const limiter = createLoginLimiter({ maxPerPair: 5, maxPerIp: 30, windowMs: 60_000 });
    const t0 = 1_000_000;
    for (let i = 0; i < 5; i++) limiter.recordFailure("1.1.1.1", "a@x", t0);
    expect(limiter.check("1.1.1.1", "a@x", t0 + 1000)).toBe(59);
    expect(limiter.check("1.1.1.1", "b@x", t0 + 1000)).toBe(0);
    expect(limiter.check("1.1.1.1", "a@x", t0 + 61_000)).toBe(0);
    limiter.recordSuccess("1.1.1.1", "a@x");
    expect(limiter.check("1.1.1.1", "a@x", t0 + 1000)).toBe(0);
  });
  it("blocks an address that tries many e-mails", () => {
    const limiter = createLoginLimiter({ maxPerPair: 5, maxPerIp: 3, windowMs: 60_000 });
    for (const e of ["a", "b", "c"]) limiter.recordFailure("2.2.2.2", e, 0);
    expect(limiter.check("2.2.2.2", "d", 10)).toBeGreaterThan(0);
  });
});
