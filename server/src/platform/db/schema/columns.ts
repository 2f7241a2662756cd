import { bigint, timestamp, uuid } from "drizzle-orm/pg-core";

/** A bigint identity key, for tables that grow without bound (tickets, messages, events, logs). */
export const bigIdentity = () => bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity();

/** A random uuid key, for rows whose id is handed out (sessions, tokens, files). */
export const uuidKey = () => uuid("id").primaryKey().defaultRandom();

/** When the row was written. */
export const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
