import { describe, expect, it } from "vitest";
import { checkPasswordStrength } from "./auth.password-policy.js";

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
