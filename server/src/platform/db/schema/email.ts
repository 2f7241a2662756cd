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
import { attachments, ticketMessages, tickets } from "./tickets.js";

/** Mail that would have gone out while no SMTP server is configured (and a copy of nothing else). */
export const emailOutbox = pgTable(
  "email_outbox",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    to: text("to").notNull(),
    from: text("from").notNull(),
    subject: text("subject").notNull(),
    text: text("text").notNull(),
    html: text("html"),
    messageId: text("message_id"),
    headers: jsonb("headers").notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("email_outbox_created_idx").on(t.id)],
);

/** IMAP mailboxes read by the worker; `source = 'env'` is the one IMAP_URL defines. */
export const mailboxes = pgTable(
  "mailboxes",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    name: text("name").notNull(),
    source: text("source", { enum: ["admin", "env"] })
      .notNull()
      .default("admin"),
    host: text("host").notNull(),
    port: integer("port").notNull(),
    tls: boolean("tls").notNull().default(true),
    username: text("username").notNull(),
    /** encryptSecret(APP_SECRET, password). */
    passwordEnc: text("password_enc").notNull(),
    folder: text("folder").notNull().default("INBOX"),
    queueId: integer("queue_id")
      .notNull()
      .references(() => queues.id),
    isEnabled: boolean("is_enabled").notNull().default(true),
    lastFetchAt: timestamp("last_fetch_at", { withTimezone: true }),
    lastError: text("last_error"),
    lastErrorAt: timestamp("last_error_at", { withTimezone: true }),
    uidValidity: bigint("uid_validity", { mode: "number" }),
    lastUid: bigint("last_uid", { mode: "number" }).notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("mailboxes_env_key").on(t.source).where(sql`source = 'env'`)],
);

/**
 * Every fetched mail, keyed by mailbox + UIDVALIDITY + UID and by Message-ID, written in the
 * same transaction as the ticket or message it creates: the exactly-once record.
 */
export const inboundEmails = pgTable(
  "inbound_emails",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    mailboxId: integer("mailbox_id")
      .notNull()
      .references(() => mailboxes.id, { onDelete: "cascade" }),
    uidValidity: bigint("uid_validity", { mode: "number" }).notNull(),
    uid: bigint("uid", { mode: "number" }).notNull(),
    messageId: text("message_id"),
    status: text("status", { enum: ["ticket", "reply", "ignored", "rejected"] }).notNull(),
    reason: text("reason"),
    fromAddress: text("from_address"),
    subject: text("subject"),
    size: integer("size").notNull().default(0),
    ticketId: bigint("ticket_id", { mode: "number" }).references(() => tickets.id, { onDelete: "set null" }),
    ticketMessageId: bigint("ticket_message_id", { mode: "number" }).references(() => ticketMessages.id, {
      onDelete: "set null",
    }),
    /** The raw .eml, kept as an attachment of the ticket. */
    rawAttachmentId: uuid("raw_attachment_id").references(() => attachments.id, { onDelete: "set null" }),
    /** Attachments not stored, with the reason. */
    rejectedAttachments: jsonb("rejected_attachments").notNull().default([]),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("inbound_emails_uid_key").on(t.mailboxId, t.uidValidity, t.uid),
    uniqueIndex("inbound_emails_message_id_key").on(t.messageId),
    index("inbound_emails_mailbox_idx").on(t.mailboxId, t.id),
  ],
);

/** Message-ID → ticket, for inbound and outbound mail: how replies find their ticket. */
export const emailThreads = pgTable(
  "email_threads",
  {
    messageId: text("message_id").primaryKey(),
    ticketId: bigint("ticket_id", { mode: "number" })
      .notNull()
      .references(() => tickets.id, { onDelete: "cascade" }),
    direction: text("direction", { enum: ["in", "out"] }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("email_threads_ticket_idx").on(t.ticketId, t.createdAt)],
);
