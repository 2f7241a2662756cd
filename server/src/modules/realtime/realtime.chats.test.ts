import { describe, expect, it } from "vitest";
import { planChatFrames, type TChatEventInput } from "./realtime.chats.js";

const ev = (
  eventId: number,
  type: string,
  data: Record<string, unknown> = {},
  ticketId = 10,
): TChatEventInput => ({
  eventId,
  ticketId,
  type,
  data,
  chatId: 7,
  chatTicketId: 10,
});

describe("planChatFrames", () => {
  it("makes a chat's new ticket one chat_updated (first place, last id) and its opening message", () => {
    const plan = planChatFrames([ev(1, "created"), ev(2, "assigned", { from: null, to: 5 })]);
    expect(plan).toEqual([
      { kind: "updated", eventId: 2, chatId: 7 },
      { kind: "message", eventId: 1, chatId: 7, messageId: "opening", ticketId: 10 },
    ]);
  });

  it("turns public messages into new_message and never internal ones", () => {
    const plan = planChatFrames([
      ev(3, "message", { message_id: 40, is_internal: false }),
      ev(4, "note", { message_id: 41, is_internal: true }),
      ev(5, "message", { message_id: 42, is_internal: true }),
    ]);
    expect(plan).toEqual([{ kind: "message", eventId: 3, chatId: 7, messageId: 40, ticketId: 10 }]);
  });

  it("tells the previous assignee the chat left them, and ignores changes of an older ticket", () => {
    expect(planChatFrames([ev(6, "assigned", { from: 5, to: 6 })])).toEqual([
      { kind: "updated", eventId: 6, chatId: 7 },
      { kind: "removed", eventId: 6, chatId: 7, userId: 5 },
    ]);
    expect(planChatFrames([ev(7, "status_changed", { to: "closed" }, 9)])).toEqual([]);
  });
});
