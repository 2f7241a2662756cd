import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";
import { categories, priorities, queues } from "./catalog.js";
import { bigIdentity, createdAt, uuidKey } from "./columns.js";
import { ownedByUser, users } from "./users.js";

const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

export const tickets = pgTable(
  "tickets",
  {
    id: bigIdentity(),
    title: text("title").notNull(),
    description: text("description").notNull().default(""),
    status: text("status", { enum: ["open", "in_progress", "waiting_for_client", "closed"] })
      .notNull()
      .default("open"),
    priorityId: integer("priority_id")
      .notNull()
      .references(() => priorities.id),
    categoryId: integer("category_id").references(() => categories.id),
    queueId: integer("queue_id")
      .notNull()
      .references(() => queues.id),
    requesterId: integer("requester_id")
      .notNull()
      .references(() => users.id),
    assigneeId: integer("assignee_id").references(() => users.id),
    source: text("source", { enum: ["web", "api", "email", "telegram", "widget"] })
      .notNull()
      .default("web"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    firstResponseAt: timestamp("first_response_at", { withTimezone: true }),
    closedAt: timestamp("closed_at", { withTimezone: true }),
    /** Set by the archive sweep when a closed ticket leaves the working views. */
    archivedAt: timestamp("archived_at", { withTimezone: true }),
    /** Title (A) and description (B) in both languages; maintained by a trigger. */
    docVector: tsvector("doc_vector"),
    /** Public messages' text; appended by a trigger on ticket_messages. */
    msgVector: tsvector("msg_vector"),
  },
  (t) => [
    index("tickets_requester_idx").on(t.requesterId, t.id),
    index("tickets_assignee_idx").on(t.assigneeId, t.id),
    index("tickets_queue_idx").on(t.queueId, t.id),
    index("tickets_status_idx").on(t.status, t.id),
    index("tickets_working_idx").on(t.id).where(sql`archived_at IS NULL`),
    index("tickets_closed_idx").on(t.closedAt).where(sql`status = 'closed' AND archived_at IS NULL`),
  ],
);

/** The ticket a row belongs to: the row goes when the ticket does. */
export const ownedByTicket = () =>
  bigint("ticket_id", { mode: "number" })
    .notNull()
    .references(() => tickets.id, { onDelete: "cascade" });

/** Public replies and internal notes (is_internal). Notes are never shown to requesters. */
export const ticketMessages = pgTable(
  "ticket_messages",
  {
    id: bigIdentity(),
    ticketId: ownedByTicket(),
    authorId: integer("author_id")
      .notNull()
      .references(() => users.id),
    body: text("body").notNull(),
    isInternal: boolean("is_internal").notNull().default(false),
    source: text("source", { enum: ["web", "api", "email", "telegram", "widget"] })
      .notNull()
      .default("web"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("ticket_messages_ticket_idx").on(t.ticketId, t.id)],
);

export const attachments = pgTable(
  "attachments",
  {
    id: uuidKey(),
    ticketId: bigint("ticket_id", { mode: "number" }).references(() => tickets.id, { onDelete: "cascade" }),
    messageId: bigint("message_id", { mode: "number" }).references(() => ticketMessages.id, {
      onDelete: "cascade",
    }),
    uploaderId: integer("uploader_id")
      .notNull()
      .references(() => users.id),
    filename: text("filename").notNull(),
    contentType: text("content_type").notNull(),
    size: integer("size").notNull(),
    sha256: text("sha256").notNull(),
    storageKey: text("storage_key").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index("attachments_ticket_idx").on(t.ticketId),
    index("attachments_message_idx").on(t.messageId),
    index("attachments_uploader_idx").on(t.uploaderId),
  ],
);

/** Every change to a ticket, written in the same transaction as the change. */
export const ticketEvents = pgTable(
  "ticket_events",
  {
    id: bigIdentity(),
    ticketId: ownedByTicket(),
    actorId: integer("actor_id").references(() => users.id),
    type: text("type").notNull(),
    data: jsonb("data").notNull().default({}),
    /** Events about internal notes are hidden from requesters. */
    isInternal: boolean("is_internal").notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [index("ticket_events_ticket_idx").on(t.ticketId, t.id)],
);

/** A retried create with the same Idempotency-Key returns the first result. */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    userId: ownedByUser(),
    key: text("key").notNull(),
    scope: text("scope").notNull(),
    statusCode: integer("status_code").notNull(),
    response: jsonb("response").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.scope, t.key] }),
    index("idempotency_created_idx").on(t.createdAt),
  ],
);
