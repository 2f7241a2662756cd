import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { queues } from "./catalog.js";
import { bigIdentity, createdAt } from "./columns.js";
import { attachments, ticketMessages, tickets } from "./tickets.js";

/**
 * Every inbound or outbound account of every channel kind (an IMAP mailbox, the SMTP sender, a
 * Telegram bot, a personal Telegram account, the widget). `kind` is a channel driver's name;
 * `config` is checked by that driver's schema, its secret fields sealed with APP_SECRET.
 */
export const channelAccounts = pgTable(
  "channel_accounts",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    kind: text("kind").notNull(),
    name: text("name").notNull(),
    config: jsonb("config").notNull().default({}),
    /** Where its requests go (null: the driver's default queue). */
    queueId: integer("queue_id").references(() => queues.id, { onDelete: "set null" }),
    /** The receiver's position, kept across restarts and handovers (IMAP: UIDVALIDITY and last UID). */
    cursor: jsonb("cursor").notNull().default({}),
    isEnabled: boolean("is_enabled").notNull().default(true),
    /** What its receiver is doing: stopped, running, backoff (crashed, restarting), error. */
    state: text("state", { enum: ["stopped", "running", "backoff", "error"] })
      .notNull()
      .default("stopped"),
    lastError: text("last_error"),
    lastErrorAt: timestamp("last_error_at", { withTimezone: true }),
    lastActivityAt: timestamp("last_activity_at", { withTimezone: true }),
    /** Consecutive receiver crashes; reset when it has run well for a while. */
    failures: integer("failures").notNull().default(0),
    /** The worker process whose receiver reads this account, until `lease_until`. */
    leaseOwner: text("lease_owner"),
    leaseUntil: timestamp("lease_until", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("channel_accounts_kind_idx").on(t.kind),
    index("channel_accounts_enabled_idx").on(t.id).where(sql`is_enabled`),
    // One account per kind comes from the environment (IMAP_URL, TELEGRAM_BOT_TOKEN).
    uniqueIndex("channel_accounts_env_key").on(t.kind).where(sql`config->>'source' = 'env'`),
    // There is one SMTP sender.
    uniqueIndex("channel_accounts_smtp_key").on(t.kind).where(sql`kind = 'smtp'`),
  ],
);

export const INBOUND_ITEM_STATUSES = ["ticket", "reply", "handled", "ignored", "rejected"] as const;

/**
 * Everything a customer sent on any channel, keyed by the channel's own id of the message
 * (e-mail: the Message-ID) and by the account's receipt (IMAP: UIDVALIDITY:UID), written in the
 * same transaction as the ticket or message it made: the exactly-once record and the inbound log.
 */
export const inboundItems = pgTable(
  "inbound_items",
  {
    id: bigIdentity(),
    channel: text("channel").notNull(),
    accountId: integer("account_id").references(() => channelAccounts.id, { onDelete: "cascade" }),
    /** The message's id on its channel; null when it was refused before it was read. */
    externalId: text("external_id"),
    /** The account's id of this receipt (IMAP: UIDVALIDITY:UID; Telegram: the update id). */
    deliveryKey: text("delivery_key"),
    status: text("status", { enum: INBOUND_ITEM_STATUSES }).notNull(),
    reason: text("reason"),
    /** Who sent it, as the channel names them (an address, a Telegram user). */
    sender: text("sender"),
    subject: text("subject"),
    size: integer("size").notNull().default(0),
    ticketId: bigint("ticket_id", { mode: "number" }).references(() => tickets.id, { onDelete: "set null" }),
    ticketMessageId: bigint("ticket_message_id", { mode: "number" }).references(() => ticketMessages.id, {
      onDelete: "set null",
    }),
    /** The message as received (the .eml), kept as an attachment of the ticket. */
    originalAttachmentId: uuid("original_attachment_id").references(() => attachments.id, {
      onDelete: "set null",
    }),
    /** Files not stored, with the reason. */
    rejectedFiles: jsonb("rejected_files").notNull().default([]),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("inbound_items_external_key").on(t.channel, t.externalId),
    uniqueIndex("inbound_items_delivery_key").on(t.accountId, t.deliveryKey),
    index("inbound_items_account_idx").on(t.accountId, t.id),
  ],
);
