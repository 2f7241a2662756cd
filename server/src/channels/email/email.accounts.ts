import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "../../platform/db/index.js";
import { channelAccounts } from "../../platform/db/schema/index.js";
import type { TChannelAccountRow } from "../channel-accounts.repository.js";

/** The channel's name: `channel_accounts.kind` of every mailbox, and of contacts and bindings. */
export const EMAIL_CHANNEL = "email";

/** An IMAP mailbox's config, as `channel_accounts.config` keeps it (the password sealed). */
export const ZImapAccountConfig = z.object({
  /** "env": the one IMAP_URL defines (only name, queue and enabled are the admin's). */
  source: z.enum(["admin", "env"]).default("admin"),
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535),
  tls: z.boolean().default(true),
  username: z.string().min(1).max(255),
  password: z.string().max(2000),
  folder: z.string().min(1).max(200).default("INBOX"),
});
export type TImapAccountConfig = z.infer<typeof ZImapAccountConfig>;

/** Where the reader is in the folder: kept across restarts and handovers. */
export const ZImapCursor = z.object({
  uidValidity: z.number().int().nullable().catch(null).default(null),
  lastUid: z.number().int().min(0).catch(0).default(0),
});
export type TImapCursor = z.infer<typeof ZImapCursor>;

/** A mailbox: a channel account of kind "email", its config and cursor read. */
export type TMailboxRow = TImapAccountConfig &
  TImapCursor & {
    id: number;
    name: string;
    /** The sealed password (never opened outside the driver). */
    passwordEnc: string;
    queueId: number | null;
    isEnabled: boolean;
    state: TChannelAccountRow["state"];
    lastFetchAt: Date | null;
    lastError: string | null;
    lastErrorAt: Date | null;
    updatedAt: Date;
  };

export function toMailbox(row: TChannelAccountRow): TMailboxRow {
  const config = ZImapAccountConfig.parse(row.config);
  return {
    ...config,
    ...ZImapCursor.parse(row.cursor ?? {}),
    id: row.id,
    name: row.name,
    passwordEnc: config.password,
    queueId: row.queueId,
    isEnabled: row.isEnabled,
    state: row.state,
    lastFetchAt: row.lastActivityAt,
    lastError: row.lastError,
    lastErrorAt: row.lastErrorAt,
    updatedAt: row.updatedAt,
  };
}

const isMailbox = eq(channelAccounts.kind, EMAIL_CHANNEL);

export async function findMailboxes(db: DbOrTx): Promise<TMailboxRow[]> {
  const rows = await db.select().from(channelAccounts).where(isMailbox).orderBy(asc(channelAccounts.id));
  return rows.map(toMailbox);
}

export async function findMailboxById(db: DbOrTx, id: number): Promise<TMailboxRow | undefined> {
  const [row] = await db
    .select()
    .from(channelAccounts)
    .where(and(isMailbox, eq(channelAccounts.id, id)));
  return row ? toMailbox(row) : undefined;
}

/** The mailbox IMAP_URL defines, if there is one. */
export async function findEnvMailbox(db: DbOrTx): Promise<TMailboxRow | undefined> {
  const [row] = await db
    .select()
    .from(channelAccounts)
    .where(and(isMailbox, sql`${channelAccounts.config}->>'source' = 'env'`));
  return row ? toMailbox(row) : undefined;
}

type TMailboxWrite = {
  name: string;
  config: TImapAccountConfig;
  queueId: number | null;
  isEnabled: boolean;
};

/** Adds a mailbox; `config.password` must already be sealed. Undefined when IMAP_URL's one exists already. */
export async function insertMailbox(db: DbOrTx, m: TMailboxWrite): Promise<TMailboxRow | undefined> {
  const [row] = await db
    .insert(channelAccounts)
    .values({
      kind: EMAIL_CHANNEL,
      name: m.name,
      config: m.config,
      queueId: m.queueId,
      isEnabled: m.isEnabled,
    })
    .onConflictDoNothing()
    .returning();
  return row ? toMailbox(row) : undefined;
}

/** Changes a mailbox (a new `updated_at` restarts its reader with the new settings). */
export async function updateMailbox(
  db: DbOrTx,
  id: number,
  m: Partial<TMailboxWrite>,
): Promise<TMailboxRow | undefined> {
  const [row] = await db
    .update(channelAccounts)
    .set({
      name: m.name,
      config: m.config,
      queueId: m.queueId,
      isEnabled: m.isEnabled,
      updatedAt: new Date(),
    })
    .where(and(isMailbox, eq(channelAccounts.id, id)))
    .returning();
  return row ? toMailbox(row) : undefined;
}

/** Records the outcome of the admin's connection test (not a change: the reader keeps running). */
export async function recordMailboxCheck(db: DbOrTx, id: number, error: string | null) {
  await db
    .update(channelAccounts)
    .set(error === null ? { lastError: null } : { lastError: error.slice(0, 2000), lastErrorAt: new Date() })
    .where(and(isMailbox, eq(channelAccounts.id, id)));
}

export async function deleteMailbox(db: DbOrTx, id: number) {
  await db.delete(channelAccounts).where(and(isMailbox, eq(channelAccounts.id, id)));
}
