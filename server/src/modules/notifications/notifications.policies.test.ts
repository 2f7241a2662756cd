import { describe, expect, it } from "vitest";
import { testActor } from "../auth/auth.actor.fixtures.js";
import { canSeeNotification, canViewDeliveryLog } from "./notifications.policies.js";

const actor = testActor;

describe("notifications.policies", () => {
  it("shows the delivery log to admins only", () => {
    expect(canViewDeliveryLog({ role: "admin" })).toBe(true);
    for (const role of ["operator", "executor", "requester"] as const)
      expect(canViewDeliveryLog({ role })).toBe(false);
  });

  it("hides a notification whose ticket the reader no longer sees", () => {
    const n = { kind: "new_message", ticketId: 5 };
    expect(canSeeNotification(actor("executor"), n, true)).toBe(true);
    expect(canSeeNotification(actor("executor"), n, false)).toBe(false);
    expect(canSeeNotification(actor("executor"), { kind: "new_message", ticketId: null }, false)).toBe(true);
  });

  it("never shows a note's notification to a requester", () => {
    const n = { kind: "new_note", ticketId: 5 };
    expect(canSeeNotification(actor("requester"), n, true)).toBe(false);
    expect(canSeeNotification(actor("operator"), n, true)).toBe(true);
  });
});
