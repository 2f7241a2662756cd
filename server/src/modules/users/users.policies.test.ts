import { describe, expect, it } from "vitest";
import type { TActor } from "../auth/auth.actor.js";
import {
  canListExecutors,
  canListUsers,
  canManageUsers,
  canViewUser,
  isSelfLockout,
} from "./users.policies.js";

const actor = (role: TActor["role"], id = 1) => ({ id, role });

describe("users.policies", () => {
  it("lets staff, not requesters, list and view users", () => {
    for (const role of ["admin", "operator", "executor"] as const) {
      expect(canListUsers(actor(role))).toBe(true);
      expect(canViewUser(actor(role))).toBe(true);
    }
    expect(canListUsers(actor("requester"))).toBe(false);
    expect(canViewUser(actor("requester"))).toBe(false);
  });

  it("shows the executors' load to those who assign", () => {
    expect(canListExecutors(actor("admin"))).toBe(true);
    expect(canListExecutors(actor("operator"))).toBe(true);
    expect(canListExecutors(actor("executor"))).toBe(false);
    expect(canListExecutors(actor("requester"))).toBe(false);
  });

  it("lets only admins manage users", () => {
    expect(canManageUsers(actor("admin"))).toBe(true);
    for (const role of ["operator", "executor", "requester"] as const)
      expect(canManageUsers(actor(role))).toBe(false);
  });

  it("refuses an admin deactivating or demoting their own account, and nothing else", () => {
    const admin = actor("admin", 7);
    expect(isSelfLockout(admin, 7, { is_active: false })).toBe(true);
    expect(isSelfLockout(admin, 7, { role: "operator" })).toBe(true);
    expect(isSelfLockout(admin, 7, { role: "admin", is_active: true })).toBe(false);
    expect(isSelfLockout(admin, 7, {})).toBe(false);
    expect(isSelfLockout(admin, 8, { is_active: false, role: "requester" })).toBe(false);
  });
});
