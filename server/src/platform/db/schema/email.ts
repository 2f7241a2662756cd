import { index, jsonb, pgTable, text } from "drizzle-orm/pg-core";
import { bigIdentity, createdAt } from "./columns.js";
import { ownedByTicket } from "./tickets.js";

/** Mail that would have gone out while no SMTP server is configured (and a copy of nothing else). */
export const emailOutbox = pgTable(
  "email_outbox",
  {
    id: bigIdentity(),
    to: text("to").notNull(),
    from: text("from").notNull(),
    subject: text("subject").notNull(),
    text: text("text").notNull(),
    html: text("html"),
    messageId: text("message_id"),
    headers: jsonb("headers").notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index("email_outbox_created_idx").on(t.id)],
);

/** Message-ID → ticket, for inbound and outbound mail: how replies find their ticket. */
export const emailThreads = pgTable(
  "email_threads",
  {
    messageId: text("message_id").primaryKey(),
    ticketId: ownedByTicket(),
    direction: text("direction", { enum: ["in", "out"] }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("email_threads_ticket_idx").on(t.ticketId, t.createdAt)],
);
