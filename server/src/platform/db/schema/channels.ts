import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

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
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("channel_accounts_kind_idx").on(t.kind),
    index("channel_accounts_enabled_idx").on(t.id).where(sql`is_enabled`),
  ],
);
