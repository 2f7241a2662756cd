import { sql } from "drizzle-orm";
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { createdAt, uuidKey } from "./columns.js";

export const users = pgTable(
  "users",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    /** Unique when present; a contact reached only on Telegram or the widget has none. */
    email: text("email"),
    name: text("name").notNull(),
    passwordHash: text("password_hash"),
    role: text("role", { enum: ["requester", "operator", "executor", "admin"] }).notNull(),
    language: text("language", { enum: ["ru", "en"] })
      .notNull()
      .default("ru"),
    theme: text("theme", { enum: ["system", "light", "dark"] })
      .notNull()
      .default("system"),
    isActive: boolean("is_active").notNull().default(true),
    /** A contact created from an inbound channel (e-mail) who has not registered yet. */
    isGuest: boolean("is_guest").notNull().default(false),
    preferences: jsonb("preferences").notNull().default({}),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    lastLoginAt: timestamp("last_login_at", { withTimezone: true }),
    /** The last request with a login session (kept to the minute): "active recently" for the inbox. */
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }),
    deactivatedAt: timestamp("deactivated_at", { withTimezone: true }),
    /** Set when staff merged this contact into another person; it is then inactive. */
    mergedIntoId: integer("merged_into_id"),
  },
  (t) => [uniqueIndex("users_email_key").on(sql`lower(${t.email})`), index("users_role_idx").on(t.role)],
);

/** The user a row belongs to: the row goes when the user does. */
export const ownedByUser = () =>
  integer("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" });

export const departments = pgTable("departments", {
  id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
  nameRu: text("name_ru").notNull(),
  nameEn: text("name_en").notNull(),
  isActive: boolean("is_active").notNull().default(true),
  createdAt: createdAt(),
});

export const userDepartments = pgTable(
  "user_departments",
  {
    userId: ownedByUser(),
    departmentId: integer("department_id")
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.departmentId] }),
    index("user_departments_dep_idx").on(t.departmentId),
  ],
);

/** A login: access and refresh tokens and the web session cookie name one of these. */
export const sessions = pgTable(
  "sessions",
  {
    id: uuidKey(),
    userId: ownedByUser(),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    userAgent: text("user_agent"),
    ip: text("ip"),
    /**
     * The one refresh token of this session that may still be used (its `jti`). Each refresh
     * rotates it; presenting an older one means it was copied, and the session is ended.
     */
    refreshJti: text("refresh_jti"),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

/** Long-lived integration tokens (`Authorization: Token …`, seed S3). Only a hash is stored. */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: uuidKey(),
    userId: ownedByUser(),
    tokenHash: text("token_hash").notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("api_tokens_hash_key").on(t.tokenHash),
    uniqueIndex("api_tokens_user_key").on(t.userId),
  ],
);

/**
 * Sign-in throttling counters, shared by every instance: one row per key (account, account +
 * address, address), counted atomically by one upsert. `nextAt` spaces attempts out once an
 * account has too many failures (a slowdown, not a lock).
 */
export const authThrottle = pgTable(
  "auth_throttle",
  {
    key: text("key").primaryKey(),
    hits: integer("hits").notNull().default(0),
    windowEndsAt: timestamp("window_ends_at", { withTimezone: true }).notNull(),
    nextAt: timestamp("next_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("auth_throttle_window_idx").on(t.windowEndsAt)],
);

/**
 * How a person is reached on a channel: their address, chat id or visitor id there. One
 * identity belongs to one person; a person may have several (e-mail and Telegram, say).
 */
export const contactIdentities = pgTable(
  "contact_identities",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    /** "email", "telegram", "widget", … (a channel driver's name). */
    channel: text("channel").notNull(),
    /** The person's id on that channel, normalised by the driver (e-mail: lower case). */
    externalId: text("external_id").notNull(),
    userId: ownedByUser(),
    displayName: text("display_name"),
    language: text("language", { enum: ["ru", "en"] }),
    createdAt: createdAt(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("contact_identities_channel_external_key").on(t.channel, t.externalId),
    index("contact_identities_user_idx").on(t.userId),
  ],
);
