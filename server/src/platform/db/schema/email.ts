import { bigint, index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { tickets } from "./tickets.js";

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
