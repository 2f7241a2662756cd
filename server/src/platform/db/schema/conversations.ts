import { sql } from "drizzle-orm";
import { bigint, index, integer, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { channelAccounts } from "./channels.js";
import { bigIdentity, createdAt } from "./columns.js";
import { ownedByTicket, ticketMessages } from "./tickets.js";
import { users } from "./users.js";

/**
 * Where a ticket's conversation lives on a channel: the e-mail thread, the Telegram chat, the
 * widget session. Staff replies go back through the binding the customer used last.
 */
export const threadBindings = pgTable(
  "thread_bindings",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    ticketId: ownedByTicket(),
    /** The channel driver's name. */
    channel: text("channel").notNull(),
    /** The channel account it came in on; null for a channel without accounts. */
    accountId: integer("account_id").references(() => channelAccounts.id, { onDelete: "set null" }),
    /** The thread on the channel: the first Message-ID, the chat id, the visitor session. */
    externalThreadId: text("external_thread_id").notNull(),
    /** Who is reached through it. */
    contactUserId: integer("contact_user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    lastInboundAt: timestamp("last_inbound_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("thread_bindings_thread_key").on(
      t.ticketId,
      t.channel,
      sql`coalesce(account_id, 0)`,
      t.externalThreadId,
    ),
    index("thread_bindings_ticket_idx").on(t.ticketId, t.lastInboundAt),
    // A chat's next message finds its ticket by the thread.
    index("thread_bindings_external_idx").on(t.channel, t.externalThreadId),
  ],
);

/**
 * A staff reply on its way to the customer: one row per message and binding, with its delivery
 * state. Nothing is dropped silently: a failed send stays visible with its error until retried.
 */
export const outboundMessages = pgTable(
  "outbound_messages",
  {
    id: bigIdentity(),
    messageId: bigint("message_id", { mode: "number" })
      .notNull()
      .references(() => ticketMessages.id, { onDelete: "cascade" }),
    bindingId: integer("binding_id")
      .notNull()
      .references(() => threadBindings.id, { onDelete: "cascade" }),
    channel: text("channel").notNull(),
    state: text("state", { enum: ["queued", "sent", "retrying", "failed"] })
      .notNull()
      .default("queued"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    /** The channel's id of what was sent (the Message-ID, the Telegram message id). */
    externalId: text("external_id"),
    sentAt: timestamp("sent_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("outbound_messages_message_binding_key").on(t.messageId, t.bindingId),
    index("outbound_messages_state_idx").on(t.state).where(sql`state <> 'sent'`),
  ],
);
