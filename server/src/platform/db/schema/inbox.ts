import { sql } from "drizzle-orm";
import {
  bigint,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { channelAccounts } from "./channels.js";
import { createdAt } from "./columns.js";
import { ticketMessages, tickets } from "./tickets.js";
import { ownedByUser, users } from "./users.js";

/**
 * The omnichannel inbox: one row per conversation with one person on one account of a chat
 * channel (a Telegram bot in inbox mode, a personal Telegram account, the widget). Written in
 * the same transaction as each message (`touchChat`, called by `ingestInbound`). Its messages
 * are those of the tickets bound to it (`thread_bindings` with the same channel, account and
 * `external_thread_id = external_id`); `ticket_id` is the current one.
 */
export const chats = pgTable(
  "chats",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    accountId: integer("account_id")
      .notNull()
      .references(() => channelAccounts.id, { onDelete: "cascade" }),
    /** The channel driver's name (`channel_accounts.kind`). */
    channel: text("channel").notNull(),
    /** The channel's id of the chat (the binding's external thread id). */
    externalId: text("external_id").notNull(),
    /** Who is on the other side. */
    contactUserId: integer("contact_user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The contact's name when they last wrote. */
    title: text("title").notNull(),
    /** The agent working the chat; null: waiting for a dispatcher (or a free slot). */
    assigneeId: integer("assignee_id").references(() => users.id, { onDelete: "set null" }),
    assignedAt: timestamp("assigned_at", { withTimezone: true }),
    /** The ticket the chat's messages go to now (the latest one). */
    ticketId: bigint("ticket_id", { mode: "number" }).references(() => tickets.id, { onDelete: "set null" }),
    /** The newest public message either way, and the newest from the contact (previews, unread). */
    lastMessageId: bigint("last_message_id", { mode: "number" }).references(() => ticketMessages.id, {
      onDelete: "set null",
    }),
    lastInboundMessageId: bigint("last_inbound_message_id", { mode: "number" }).references(
      () => ticketMessages.id,
      { onDelete: "set null" },
    ),
    lastMessageAt: timestamp("last_message_at", { withTimezone: true }).notNull().defaultNow(),
    lastInboundAt: timestamp("last_inbound_at", { withTimezone: true }).notNull().defaultNow(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("chats_account_external_key").on(t.accountId, t.externalId),
    // The lists: newest activity first, per assignee (executors), per account (operators), all (admins).
    index("chats_assignee_idx").on(t.assigneeId, t.lastMessageAt.desc(), t.id.desc()),
    index("chats_account_idx").on(t.accountId, t.lastMessageAt.desc(), t.id.desc()),
    index("chats_recent_idx").on(t.lastMessageAt.desc(), t.id.desc()),
    // A closed ticket frees its chat's slot: the chat is found by its ticket.
    index("chats_ticket_idx").on(t.ticketId),
    // Chats waiting for an agent, oldest first (filling a freed slot).
    index("chats_unassigned_idx").on(t.lastInboundAt).where(sql`assignee_id IS NULL`),
  ],
);

/** How far a user has read a chat: messages after `last_read_message_id` from the contact are unread. */
export const chatReads = pgTable(
  "chat_reads",
  {
    chatId: integer("chat_id")
      .notNull()
      .references(() => chats.id, { onDelete: "cascade" }),
    userId: ownedByUser(),
    lastReadMessageId: bigint("last_read_message_id", { mode: "number" }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.chatId, t.userId] }), index("chat_reads_user_idx").on(t.userId)],
);

/**
 * An agent's inbox settings and bookkeeping: the most chats with an open ticket they take at
 * once (null: the default, 50) and when they were last given one (round robin among equals).
 */
export const inboxAgents = pgTable("inbox_agents", {
  userId: integer("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  maxActiveChats: integer("max_active_chats"),
  lastAssignedAt: timestamp("last_assigned_at", { withTimezone: true }),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
