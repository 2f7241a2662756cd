import { describe, expect, it } from "vitest";
import { canManageChannels } from "./channels.policies.js";

describe("channels.policies", () => {
  it("lets only admins manage channel accounts", () => {
    expect(canManageChannels({ role: "admin" })).toBe(true);
    for (const role of ["operator", "executor", "requester"] as const) {
      expect(canManageChannels({ role })).toBe(false);
    }
  });
});
