import { z } from "zod";
import { ROLES, TICKET_STATUSES } from "./enums.js";
import { LIMITS } from "./limits.js";
import { pgText, ZBigId, ZId } from "./schemas.js";
import { ZAttachment } from "./ticket-responses.js";

/*
 * The omnichannel inbox (seed S3's `/api/chats/`, `/api/messages/by_chat/`, `/api/messages/{id}/reply/`):
 * one chat per person per channel account; its messages are those of the tickets bound to it.
 */

const ZBoolFlag = z
  .enum(["true", "false", "1", "0"])
  .transform((v) => v === "true" || v === "1")
  .optional();

// --- requests -------------------------------------------------------------------------------

export const ZChatListQuery = z.strictObject({
  /** `me`, `none` (waiting for a dispatcher) or a user id. */
  assignee: z.union([z.literal("me"), z.literal("none"), ZId]).optional(),
  account_id: ZId.optional(),
  /** Only chats with messages from the contact the caller has not read. */
  unread: ZBoolFlag,
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(LIMITS.pageSizeDefault),
  cursor: pgText().max(300).optional(),
});
export type TChatListQuery = z.infer<typeof ZChatListQuery>;

export const ZChatIdParams = z.strictObject({ id: ZId });

export const ZChatMessagesQuery = z.strictObject({
  chat_id: ZId,
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(50),
  cursor: pgText().max(200).optional(),
});
export type TChatMessagesQuery = z.infer<typeof ZChatMessagesQuery>;

/**
 * What `POST /api/upload/` answered: its `url` (`/api/attachments/<id>/`) or its `id`. The file
 * must be the caller's own and not attached to anything yet.
 */
export const ZMediaPath = pgText()
  .trim()
  .max(200)
  .regex(/^(?:\/api\/attachments\/)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/?$/i, {
    message: "must be the url or id that POST /api/upload/ returned",
  })
  .transform((v) =>
    v
      .replace(/^\/api\/attachments\//, "")
      .replace(/\/$/, "")
      .toLowerCase(),
  );

export const ZChatReplyRequest = z.strictObject({
  text: pgText().trim().min(1).max(LIMITS.messageMax),
  media_path: ZMediaPath.optional(),
});
export type TChatReplyRequest = z.infer<typeof ZChatReplyRequest>;

export const ZAssignChatRequest = z.strictObject({ user_id: ZId });
export type TAssignChatRequest = z.infer<typeof ZAssignChatRequest>;

export const ZMarkChatReadRequest = z.strictObject({ message_id: ZBigId.optional() });
export type TMarkChatReadRequest = z.infer<typeof ZMarkChatReadRequest>;

// --- responses ------------------------------------------------------------------------------

export const CHAT_DIRECTIONS = ["in", "out"] as const;
export const DELIVERY_STATES = ["queued", "sent", "retrying", "failed"] as const;

/** A chat as every inbox endpoint returns it; `unread_count` is the caller's. */
export const ZChat = z.strictObject({
  id: z.number(),
  account_id: z.number(),
  /** The channel driver's name (`telegram`, …). */
  channel: z.string(),
  /** The channel's id of the chat. */
  external_id: z.string(),
  /** The contact's name when they last wrote. */
  title: z.string(),
  contact: z.strictObject({ id: z.number(), name: z.string() }),
  assignee_id: z.number().nullable(),
  assignee: z.strictObject({ id: z.number(), name: z.string() }).nullable(),
  /** The ticket the chat's messages go to now, and its status (closed: the next message starts a new one). */
  ticket_id: z.number().nullable(),
  ticket_status: z.enum(TICKET_STATUSES).nullable(),
  /** The contact's public messages after the caller's read mark. */
  unread_count: z.number(),
  last_message: z
    .strictObject({ id: z.number(), text: z.string(), direction: z.enum(CHAT_DIRECTIONS) })
    .nullable(),
  last_message_at: z.string(),
  last_inbound_at: z.string(),
  created_at: z.string(),
  abilities: z.strictObject({ can_reply: z.boolean(), can_assign: z.boolean() }),
});
export type TChat = z.infer<typeof ZChat>;
export const ZChatPage = z.strictObject({ results: z.array(ZChat), next: z.string().nullable() });
export type TChatPage = z.infer<typeof ZChatPage>;

/** A public message of a chat (internal notes never appear). */
export const ZChatMessage = z.strictObject({
  id: z.number(),
  chat_id: z.number(),
  ticket_id: z.number(),
  text: z.string(),
  /** `in`: from the contact; `out`: from staff. */
  direction: z.enum(CHAT_DIRECTIONS),
  /** For `out`: how it went back through the channel (`queued` until the first attempt); null for `in`. */
  delivery_state: z.enum(DELIVERY_STATES).nullable(),
  /** The last send error while `retrying` or `failed`. */
  delivery_error: z.string().nullable(),
  author: z.strictObject({ id: z.number(), name: z.string(), role: z.enum(ROLES) }),
  attachments: z.array(ZAttachment),
  created_at: z.string(),
});
export type TChatMessage = z.infer<typeof ZChatMessage>;
/** A chat's messages, newest first; `next` pages to older ones. */
export const ZChatMessagePage = z.strictObject({
  results: z.array(ZChatMessage),
  next: z.string().nullable(),
});
export type TChatMessagePage = z.infer<typeof ZChatMessagePage>;
