import { describe, expect, it } from "vitest";
import { testActor as actor } from "../auth/auth.actor.fixtures.js";
import {
  canAssignChat,
  canDispatchChats,
  canReplyInChat,
  canViewChat,
  type TChatAccess,
} from "./inbox.policies.js";

const chat: TChatAccess = { assigneeId: 3, queueId: 10 };

describe("chat policies", () => {
  it("executors see only the chats assigned to them, not their departments' others", () => {
    expect(canViewChat(actor("executor", 3), chat)).toBe(true);
    expect(canViewChat(actor("executor", 4, [10]), chat)).toBe(false);
    expect(canViewChat(actor("executor", 4, [10]), { ...chat, assigneeId: null })).toBe(false);
  });
  it("operators see their departments' chats, admins all, requesters none", () => {
    expect(canViewChat(actor("operator", 5, [10]), chat)).toBe(true);
    expect(canViewChat(actor("operator", 5, [11]), chat)).toBe(false);
    expect(canViewChat(actor("operator", 5, [10]), { ...chat, queueId: null })).toBe(false);
    expect(canViewChat(actor("admin", 6), chat)).toBe(true);
    expect(canViewChat(actor("requester", 3), chat)).toBe(false);
  });
  it("dispatchers and admins assign chats they see; executors never", () => {
    expect(canDispatchChats(actor("executor", 3))).toBe(false);
    expect(canAssignChat(actor("executor", 3), chat)).toBe(false);
    expect(canAssignChat(actor("operator", 5, [10]), chat)).toBe(true);
    expect(canAssignChat(actor("operator", 5, [11]), chat)).toBe(false);
    expect(canAssignChat(actor("admin", 6), chat)).toBe(true);
  });
  it("whoever sees a chat may reply in it", () => {
    expect(canReplyInChat(actor("executor", 3), chat)).toBe(true);
    expect(canReplyInChat(actor("executor", 4, [10]), chat)).toBe(false);
  });
});
