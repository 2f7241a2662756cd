import type { TChat, TChatMessage } from "@helpdesk/contracts";
import type { DbOrTx } from "../../platform/db/index.js";
import type { TActor } from "../auth/auth.actor.js";
import { canViewChat, type TChatAccess } from "../inbox/inbox.policies.js";
import { findOpeningMessageId } from "../inbox/inbox.repository.js";
import { findChatMessageById, presentChatForReaders } from "../inbox/inbox.usecases.js";

/*
 * The `chats` topic is derived from ticket events: no chat event of its own. A chat's messages
 * are its tickets' public messages and its state follows its current ticket, so the ticket
 * events that tell of them are turned into chat frames that carry the same event id:
 *
 *   message (public)            → new_message
 *   created (a chat's new ticket) → chat_updated (the chat moved to it, or is new), then
 *                                 new_message for the opening message `touchChat` wrote
 *                                 (it has no `message` event: the `created` row stands for it)
 *   assigned, unassigned, status_changed of the chat's current ticket → chat_updated
 *   assigned/unassigned away from someone who no longer sees the chat → chat_removed (id only)
 *
 * The same plan serves live batches and the `since` catch-up.
 */

/** A ticket event on a ticket bound to a chat. */
export type TChatEventInput = {
  eventId: number;
  ticketId: number;
  type: string;
  data: Record<string, unknown>;
  chatId: number;
  /** The chat's current ticket. */
  chatTicketId: number | null;
};

export type TChatFramePlan =
  | { kind: "message"; eventId: number; chatId: number; messageId: number | "opening"; ticketId: number }
  | { kind: "updated"; eventId: number; chatId: number }
  | { kind: "removed"; eventId: number; chatId: number; userId: number };

const CHAT_CHANGING = new Set(["created", "assigned", "unassigned", "status_changed"]);

/**
 * The frames a run of events makes, in event order. A chat gets one `chat_updated` per run (the
 * chat is read once, after the run, so one frame already shows every change), placed at its
 * first change and carrying the id of its last one.
 */
export function planChatFrames(events: TChatEventInput[]): TChatFramePlan[] {
  const plan: TChatFramePlan[] = [];
  const updated = new Map<number, { kind: "updated"; eventId: number; chatId: number }>();
  for (const e of events) {
    if (e.data.is_internal === true) continue;
    if (CHAT_CHANGING.has(e.type) && e.chatTicketId === e.ticketId) {
      const seen = updated.get(e.chatId);
      if (seen) seen.eventId = Math.max(seen.eventId, e.eventId);
      else {
        const item = { kind: "updated" as const, eventId: e.eventId, chatId: e.chatId };
        updated.set(e.chatId, item);
        plan.push(item);
      }
    }
    if (e.type === "message") {
      const messageId = Number(e.data.message_id);
      if (Number.isSafeInteger(messageId))
        plan.push({ kind: "message", eventId: e.eventId, chatId: e.chatId, messageId, ticketId: e.ticketId });
    } else if (e.type === "created") {
      plan.push({
        kind: "message",
        eventId: e.eventId,
        chatId: e.chatId,
        messageId: "opening",
        ticketId: e.ticketId,
      });
    } else if ((e.type === "assigned" || e.type === "unassigned") && typeof e.data.from === "number") {
      plan.push({ kind: "removed", eventId: e.eventId, chatId: e.chatId, userId: e.data.from });
    }
  }
  return plan;
}

/** A planned frame with what it needs loaded: the message, or the chat as each reader sees it. */
export type TLoadedChatFrame =
  | { kind: "message"; eventId: number; chatId: number; message: TChatMessage; json: string }
  | { kind: "updated"; eventId: number; chatId: number; byUser: Map<number, TChat> }
  | { kind: "removed"; eventId: number; chatId: number; userId: number; json: string };

/**
 * Loads what the plan's frames show. `readersOf(chatId)`: who will be sent the chat (the hub
 * has checked `canViewChat` for them); a chat is presented once per run for all of them.
 * Messages that are not (or no longer) the chat's are dropped.
 */
export async function loadChatFrames(
  db: DbOrTx,
  plan: TChatFramePlan[],
  readersOf: (chatId: number) => TActor[],
): Promise<TLoadedChatFrame[]> {
  const out: TLoadedChatFrame[] = [];
  const presented = new Map<number, Map<number, TChat>>();
  // One query after the other: on PGlite, and in order, nothing is gained by running them at once.
  for (const item of plan) {
    if (item.kind === "message") {
      const messageId =
        item.messageId === "opening" ? await findOpeningMessageId(db, item.ticketId) : item.messageId;
      if (messageId === null) continue;
      const message = await findChatMessageById(db, item.chatId, messageId);
      if (!message) continue;
      out.push({
        kind: "message",
        eventId: item.eventId,
        chatId: item.chatId,
        message,
        json: JSON.stringify({ type: "new_message", id: item.eventId, chat_id: item.chatId, message }),
      });
    } else if (item.kind === "updated") {
      let byUser = presented.get(item.chatId);
      if (!byUser) {
        const readers = readersOf(item.chatId);
        byUser = readers.length === 0 ? new Map() : await presentChatForReaders(db, item.chatId, readers);
        presented.set(item.chatId, byUser);
      }
      out.push({ kind: "updated", eventId: item.eventId, chatId: item.chatId, byUser });
    } else {
      out.push({
        ...item,
        json: JSON.stringify({ type: "chat_removed", id: item.eventId, chat_id: item.chatId }),
      });
    }
  }
  return out;
}

/** Whether this actor gets this frame, given the chat's current access facts. */
export function mayReceiveChatFrame(actor: TActor, frame: TLoadedChatFrame, access: TChatAccess): boolean {
  if (frame.kind === "removed") return frame.userId === actor.id && !canViewChat(actor, access);
  return canViewChat(actor, access);
}

/** The JSON of a frame for one reader (chat_updated is per reader: their unread count). */
export function chatFrameJson(actor: TActor, frame: TLoadedChatFrame): string | null {
  if (frame.kind !== "updated") return frame.json;
  const chat = frame.byUser.get(actor.id);
  if (!chat) return null;
  return JSON.stringify({ type: "chat_updated", id: frame.eventId, chat });
}

/** The socket's dedupe key of a frame: a message once per chat; chat states are idempotent. */
export const chatFrameKey = (frame: TLoadedChatFrame): string | null =>
  frame.kind === "message" ? `m:${frame.chatId}:${frame.message.id}` : null;
