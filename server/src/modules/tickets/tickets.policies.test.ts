import { describe, expect, it } from "vitest";
import { testActor } from "../auth/auth.actor.fixtures.js";
import {
  canAssign,
  canChangeStatus,
  canExecute,
  canViewTicket,
  type TTicketAccess,
} from "./tickets.policies.js";

const actor = testActor;
const ticket: TTicketAccess = { requesterId: 1, assigneeId: 3, queueId: 10, status: "open" };

describe("ticket policies", () => {
  it("requesters see only their own", () => {
    expect(canViewTicket(actor("requester", 1), ticket)).toBe(true);
    expect(canViewTicket(actor("requester", 2), ticket)).toBe(false);
  });
  it("executors see assigned tickets and their queues; operators their queues; admins all", () => {
    expect(canViewTicket(actor("executor", 3), ticket)).toBe(true);
    expect(canViewTicket(actor("executor", 4, [10]), ticket)).toBe(true);
    expect(canViewTicket(actor("executor", 4, [11]), ticket)).toBe(false);
    expect(canViewTicket(actor("operator", 5, [10]), ticket)).toBe(true);
    expect(canViewTicket(actor("operator", 5, []), ticket)).toBe(false);
    expect(canViewTicket(actor("admin", 6), ticket)).toBe(true);
  });
  it("only the assignee executes; operators assign; an executor may only take an unassigned ticket", () => {
    expect(canExecute(actor("executor", 3), ticket)).toBe(true);
    expect(canExecute(actor("executor", 4, [10]), ticket)).toBe(false);
    expect(canExecute(actor("operator", 5, [10]), ticket)).toBe(false);
    expect(canAssign(actor("operator", 5, [10]), ticket, 4)).toBe(true);
    expect(canAssign(actor("executor", 4, [10]), ticket, 4)).toBe(false);
    expect(canAssign(actor("executor", 4, [10]), { ...ticket, assigneeId: null }, 4)).toBe(true);
  });
  it("requesters may close and reopen, nothing else", () => {
    const me = actor("requester", 1);
    expect(canChangeStatus(me, ticket, "closed")).toBe(true);
    expect(canChangeStatus(me, ticket, "in_progress")).toBe(false);
    expect(canChangeStatus(me, { ...ticket, status: "closed" }, "open")).toBe(true);
  });
});
