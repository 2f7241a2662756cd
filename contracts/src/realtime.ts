/**
 * The `/ws` protocol (docs/realtime.md): what a client may send (zod, checked by the server)
 * and what the server sends (types, imported by the web with `import type`).
 */
import { z } from "zod";
import type { TTicketEventType } from "./enums.js";
import type { TChat, TChatMessage } from "./inbox.js";

/** Limits of one WebSocket connection. */
export const REALTIME_LIMITS = {
  /** Bytes. Bigger frames are refused by ws itself (close 1009). */
  framePayloadMaxBytes: 64 * 1024,
  /** Bytes. Bigger messages get a `realtime.message_too_large` error. */
  messageMaxBytes: 8 * 1024,
  /** Token bucket: messages per second and burst. */
  messagesPerSecond: 20,
  messageBurst: 40,
  /** Rate-limited messages in a row before the socket is closed (1008). */
  rateLimitStrikesMax: 200,
  topicsPerMessage: 100,
  ticketTopicsMax: 500,
  viewingMax: 20,
  /** Missed events sent on subscribe; beyond it the client is told to resync. */
  catchUpMax: 1000,
  /** Live events held for a socket while its catch-up query runs. */
  pendingMax: 5000,
  /** Bytes queued on a socket before it counts as too slow and is closed (1013). */
  bufferedMaxBytes: 4 * 1024 * 1024,
  /** A `typing` per ticket and socket is forwarded at most this often. */
  typingIntervalMs: 1000,
  /** Chats per `initial_chats` frame. */
  initialChatsChunk: 100,
  /** `get_chat_messages`: default and largest page. */
  chatMessagesDefault: 50,
  chatMessagesMax: 100,
} as const;

const ZTicketId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** `tickets`: every ticket the user may see; `ticket:<id>`: one ticket; `chats`: the user's inbox. */
export const ZTopic = z.union([
  z.literal("tickets"),
  z.literal("chats"),
  z.string().regex(/^ticket:[1-9][0-9]{0,15}$/, "topic must be tickets, chats or ticket:<id>"),
]);

const ZTopics = z.array(ZTopic).min(1).max(REALTIME_LIMITS.topicsPerMessage);

export const ZSubscribeMessage = z.strictObject({
  type: z.literal("subscribe"),
  topics: ZTopics,
  /** The last event id the client has seen: missed events after it are sent first. */
  since: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});
export const ZUnsubscribeMessage = z.strictObject({ type: z.literal("unsubscribe"), topics: ZTopics });
export const ZViewMessage = z.strictObject({ type: z.literal("view"), ticket_id: ZTicketId });
export const ZUnviewMessage = z.strictObject({ type: z.literal("unview"), ticket_id: ZTicketId });
export const ZTypingMessage = z.strictObject({
  type: z.literal("typing"),
  ticket_id: ZTicketId,
  is_internal: z.boolean().optional(),
});
export const ZPingMessage = z.strictObject({ type: z.literal("ping") });
/** A page of a chat's messages, newest first; `before`: older than this message id. */
export const ZGetChatMessagesMessage = z.strictObject({
  type: z.literal("get_chat_messages"),
  chat_id: ZTicketId,
  before: ZTicketId.optional(),
  limit: z.number().int().min(1).max(REALTIME_LIMITS.chatMessagesMax).optional(),
});
/** Marks a chat read up to `message_id` (a message of the chat) or its latest message. */
export const ZMarkAsReadMessage = z.strictObject({
  type: z.literal("mark_as_read"),
  chat_id: ZTicketId,
  message_id: ZTicketId.optional(),
});

/** Everything a client may send. */
export const ZClientMessage = z.discriminatedUnion("type", [
  ZSubscribeMessage,
  ZUnsubscribeMessage,
  ZViewMessage,
  ZUnviewMessage,
  ZTypingMessage,
  ZPingMessage,
  ZGetChatMessagesMessage,
  ZMarkAsReadMessage,
]);
export type TClientMessage = z.infer<typeof ZClientMessage>;

export type TViewer = { id: number; name: string };

/** A ticket event as a socket receives it: `event_type` is the event's one name. */
export type TRealtimeTicketEvent = {
  type: "event";
  /** ticket_events id; null for the few changes that have no history row (`deleted`). */
  id: number | null;
  ticket_id: number;
  event_type: TTicketEventType;
  actor_id: number | null;
  data: Record<string, unknown> & { is_internal?: boolean };
  at: string;
};

/**
 * Inbox frames (topic `chats`). `id` is the ticket event the frame was derived from (the same
 * sequence as `event` frames: remember the highest for `since`); null for a chat change without
 * a ticket event (a read mark).
 */
export type TRealtimeChatFrame =
  | { type: "new_message"; id: number; chat_id: number; message: TChatMessage }
  | { type: "chat_updated"; id: number | null; chat: TChat }
  /** The chat left this user's inbox (re-assigned away from them): drop it. Only its id. */
  | { type: "chat_removed"; id: number | null; chat_id: number };

/** Everything the server sends. */
export type TServerMessage =
  | { type: "hello"; user_id: number; last_event_id: number }
  | TRealtimeTicketEvent
  | { type: "subscribed"; topics: string[]; caught_up_to: number | null }
  | { type: "resync"; last_event_id: number }
  | { type: "presence"; ticket_id: number; viewers: TViewer[] }
  | { type: "typing"; ticket_id: number; user: TViewer; is_internal: boolean }
  | { type: "notification"; notification: Record<string, unknown> & { kind: string } }
  | { type: "initial_chats"; chats: TChat[]; done: boolean }
  | TRealtimeChatFrame
  | { type: "chat_messages"; chat_id: number; messages: TChatMessage[]; next: number | null }
  | { type: "pong" }
  | { type: "error"; code: TRealtimeErrorCode; message: string };

export type TRealtimeErrorCode =
  | "realtime.invalid_json"
  | "realtime.invalid_message"
  | "realtime.message_too_large"
  | "realtime.rate_limited"
  | "realtime.too_many_topics"
  | "realtime.too_many_views"
  | "realtime.ticket_not_found"
  | "realtime.chat_not_found"
  | "realtime.message_not_in_chat"
  | "realtime.forbidden"
  | "realtime.internal";

/** WebSocket close codes the hub uses (4xxx: application). */
export const CLOSE_CODES = {
  unauthenticated: 4401,
  forbidden: 4403,
  policyViolation: 1008,
  tryAgainLater: 1013,
  goingAway: 1001,
} as const;
