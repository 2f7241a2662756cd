import { describe, expect, it } from "vitest";
import { canChangeMailbox, canDeleteMailbox, canManageEmailChannel } from "./email.policies.js";

describe("email.policies", () => {
  it("lets only admins manage the e-mail channel", () => {
    expect(canManageEmailChannel({ role: "admin" })).toBe(true);
    for (const role of ["operator", "executor", "requester"] as const) {
      expect(canManageEmailChannel({ role })).toBe(false);
    }
  });

  it("lets an admin change any field of their own mailbox", () => {
    expect(canChangeMailbox({ source: "admin" }, ["host", "password", "name"])).toBe(true);
    expect(canDeleteMailbox({ source: "admin" })).toBe(true);
  });

  it("keeps a mailbox from IMAP_URL to the environment except its name, queue and switch", () => {
    const env = { source: "env" } as const;
    expect(canChangeMailbox(env, ["name", "queue_id", "is_enabled"])).toBe(true);
    expect(canChangeMailbox(env, [])).toBe(true);
    expect(canChangeMailbox(env, ["host"])).toBe(false);
    expect(canChangeMailbox(env, ["name", "password"])).toBe(false);
    expect(canDeleteMailbox(env)).toBe(false);
  });
});
