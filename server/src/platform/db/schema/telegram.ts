import { sql } from "drizzle-orm";
import {
  bigint,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { channelAccounts } from "./channels.js";
import { bigIdentity, createdAt } from "./columns.js";
import { ownedByTicket } from "./tickets.js";
import { ownedByUser } from "./users.js";

const ownedByAccount = () =>
  integer("account_id")
    .notNull()
    .references(() => channelAccounts.id, { onDelete: "cascade" });

export const TELEGRAM_UPDATE_STATUSES = ["pending", "done", "failed"] as const;

/**
 * Updates Telegram pushed to a bot's webhook, stored as received before the 200 goes back
 * (unique per bot account and update id: a re-sent update is stored once), then processed
 * asynchronously, in order within a chat and concurrently across chats.
 */
export const telegramUpdates = pgTable(
  "telegram_updates",
  {
    id: bigIdentity(),
    accountId: ownedByAccount(),
    updateId: bigint("update_id", { mode: "number" }).notNull(),
    /** The chat the update belongs to (the order key); null for updates without one. */
    chatId: bigint("chat_id", { mode: "number" }),
    payload: jsonb("payload").notNull(),
    status: text("status", { enum: TELEGRAM_UPDATE_STATUSES }).notNull().default("pending"),
    tries: integer("tries").notNull().default(0),
    lastError: text("last_error"),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    processedAt: timestamp("processed_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("telegram_updates_key").on(t.accountId, t.updateId),
    index("telegram_updates_pending_idx")
      .on(t.accountId, t.chatId, t.updateId)
      .where(sql`status = 'pending'`),
  ],
);

/**
 * Where a person is in a conversation with the requester bot (the `/new` dialogue, a pending
 * "file this as a request?"), per bot and chat. Rows older than an hour are stale.
 */
export const telegramDialogues = pgTable(
  "telegram_dialogues",
  {
    accountId: ownedByAccount(),
    chatId: bigint("chat_id", { mode: "number" }).notNull(),
    state: jsonb("state").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.chatId] })],
);

/**
 * Which request a message in a bot's chat is about (what the bot sent: a notification, a staff
 * reply, a confirmation; and what the person wrote into a request), so that a Telegram reply to
 * any of them adds to that request.
 */
export const telegramMessageRefs = pgTable(
  "telegram_message_refs",
  {
    accountId: ownedByAccount(),
    chatId: bigint("chat_id", { mode: "number" }).notNull(),
    messageId: bigint("message_id", { mode: "number" }).notNull(),
    ticketId: ownedByTicket(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.chatId, t.messageId] }),
    index("telegram_message_refs_ticket_idx").on(t.ticketId),
  ],
);

/**
 * One-time codes of the profile's "Connect Telegram" deep link (`t.me/<bot>?start=<code>`):
 * only the code's hash is kept, valid until `expires_at`, used once.
 */
export const telegramLinkCodes = pgTable(
  "telegram_link_codes",
  {
    codeHash: text("code_hash").primaryKey(),
    userId: ownedByUser(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index("telegram_link_codes_user_idx").on(t.userId)],
);

/**
 * How a personal Telegram account reaches a chat after a restart (mtcute's in-memory storage
 * forgets the access hash): the ref the client gave with the chat's last inbound message.
 */
export const telegramUserPeers = pgTable(
  "telegram_user_peers",
  {
    accountId: ownedByAccount(),
    chatId: bigint("chat_id", { mode: "number" }).notNull(),
    ref: text("ref").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.chatId] })],
);
