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
import { bigIdentity, createdAt, uuidKey } from "./columns.js";
import { ownedByTicket, tickets } from "./tickets.js";
import { ownedByUser } from "./users.js";

/** People who follow a ticket without being its requester or assignee. */
export const ticketWatchers = pgTable(
  "ticket_watchers",
  {
    ticketId: ownedByTicket(),
    userId: ownedByUser(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.ticketId, t.userId] }), index("ticket_watchers_user_idx").on(t.userId)],
);

/**
 * One row per ticket event the notifications engine has fanned out. Written in the fan-out
 * transaction, so an event is fanned out at most once; the sweep finds events without a row.
 */
export const notificationFanouts = pgTable("notification_fanouts", {
  eventId: bigint("event_id", { mode: "number" }).primaryKey(),
  recipients: integer("recipients").notNull().default(0),
  createdAt: createdAt(),
});

/**
 * The delivery log and idempotency key: one row per event × user × channel, written before
 * anything is sent.
 */
export const notificationDeliveries = pgTable(
  "notification_deliveries",
  {
    id: bigIdentity(),
    eventId: bigint("event_id", { mode: "number" }).notNull(),
    userId: ownedByUser(),
    channel: text("channel", { enum: ["email", "in_app", "web_push", "telegram"] }).notNull(),
    kind: text("kind").notNull(),
    ticketId: bigint("ticket_id", { mode: "number" }),
    status: text("status", { enum: ["queued", "sending", "sent", "failed", "retrying", "skipped"] })
      .notNull()
      .default("queued"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    /** While a sender holds the row; a crashed sender's claim expires. */
    lockedUntil: timestamp("locked_until", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("notification_deliveries_key").on(t.eventId, t.userId, t.channel),
    index("notification_deliveries_pending_idx")
      .on(t.updatedAt)
      .where(sql`status IN ('queued', 'retrying', 'sending')`),
    index("notification_deliveries_id_desc_idx").on(t.id),
  ],
);

/** The in-app notification centre. */
export const notifications = pgTable(
  "notifications",
  {
    id: bigIdentity(),
    userId: ownedByUser(),
    kind: text("kind").notNull(),
    ticketId: bigint("ticket_id", { mode: "number" }).references(() => tickets.id, { onDelete: "cascade" }),
    eventId: bigint("event_id", { mode: "number" }),
    title: text("title").notNull(),
    body: text("body").notNull().default(""),
    createdAt: createdAt(),
    readAt: timestamp("read_at", { withTimezone: true }),
  },
  (t) => [
    index("notifications_user_idx").on(t.userId, t.id),
    index("notifications_unread_idx").on(t.userId, t.id).where(sql`read_at IS NULL`),
  ],
);

/** Browser push subscriptions (Web Push, VAPID). */
export const pushSubscriptions = pgTable(
  "push_subscriptions",
  {
    id: uuidKey(),
    userId: ownedByUser(),
    endpoint: text("endpoint").notNull(),
    p256dh: text("p256dh").notNull(),
    auth: text("auth").notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("push_subscriptions_endpoint_key").on(t.endpoint),
    index("push_subscriptions_user_idx").on(t.userId),
  ],
);
