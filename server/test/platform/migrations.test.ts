import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toMailbox } from "../../src/channels/email/email.accounts.js";
import { findSmtpAccount } from "../../src/channels/email/smtp.account.js";
import { decryptSecret, encryptSecret } from "../../src/platform/crypto.js";
import type { Db } from "../../src/platform/db/index.js";
import { schema } from "../../src/platform/db/index.js";
import { channelAccounts } from "../../src/platform/db/schema/index.js";
import { TEST_DB } from "../helpers.js";

const MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../migrations");
const SECRET = "test-secret-that-is-long-enough-0123456789";

/** The migrations folder as it was before `tag` (files and journal), to build an old database. */
function migrationsBefore(tag: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "helpdesk-migrations-"));
  cpSync(MIGRATIONS, dir, { recursive: true });
  const journalPath = path.join(dir, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { tag: string }[] };
  const at = journal.entries.findIndex((e) => e.tag === tag);
  if (at < 0) throw new Error(`no migration ${tag}`);
  for (const e of journal.entries.slice(at)) rmSync(path.join(dir, `${e.tag}.sql`));
  journal.entries = journal.entries.slice(0, at);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

type TOldDb = {
  db: Db;
  sql(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  migrate(folder: string): Promise<void>;
  close(): Promise<void>;
};

async function openOldDb(): Promise<TOldDb> {
  if (TEST_DB === "postgres") {
    const adminUrl = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
    const name = `helpdesk_migr_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const pool = new pg.Pool({ connectionString: adminUrl.replace(/\/[^/]*$/, `/${name}`), max: 2 });
    // Dropping the database ends connections the pool is still closing.
    pool.on("error", () => {});
    const db = drizzlePg(pool, { schema });
    return {
      db,
      sql: async (text, params) => (await pool.query(text, params)).rows,
      migrate: (folder) => migratePg(db, { migrationsFolder: folder }),
      async close() {
        await pool.end();
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      },
    };
  }
  const client = await PGlite.create({ extensions: { pg_trgm } });
  const db = drizzlePglite(client, { schema });
  return {
    db: db as unknown as Db,
    sql: async (text, params) => (await client.query<Record<string, unknown>>(text, params)).rows,
    migrate: (folder) => migratePglite(db, { migrationsFolder: folder }),
    close: () => client.close(),
  };
}

let old: TOldDb;
const folders: string[] = [];
beforeAll(async () => {
  old = await openOldDb();
});
afterAll(async () => {
  await old?.close();
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

describe("#migrations carry the data of a running install across", () => {
  it("0008/0009: mailboxes and the inbound mail log become channel accounts and inbound items; the SMTP settings become the sender", async () => {
    const before = migrationsBefore("0008_inbound_items");
    folders.push(before);
    await old.migrate(before);

    // A 0007 install: a queue, two mailboxes (one from IMAP_URL), their inbound log, SMTP settings.
    const [queue] = await old.sql(
      `INSERT INTO queues (slug, name_ru, name_en) VALUES ('mail', 'Почта', 'Mail') RETURNING id`,
    );
    const sealed = encryptSecret(SECRET, "imap-pass");
    const [support] = await old.sql(
      `INSERT INTO mailboxes (name, source, host, port, tls, username, password_enc, folder, queue_id,
         is_enabled, last_fetch_at, last_error, uid_validity, last_uid)
       VALUES ('Support', 'admin', 'imap.example.org', 993, true, 'support', $1, 'INBOX', $2, true,
         '2026-11-30T10:00:00Z', 'timeout once', 777, 42) RETURNING id`,
      [sealed, queue!.id],
    );
    const [env] = await old.sql(
      `INSERT INTO mailboxes (name, source, host, port, tls, username, password_enc, folder, queue_id, is_enabled)
       VALUES ('From env', 'env', 'mail.local', 143, false, 'desk', $1, 'Help', $2, false) RETURNING id`,
      [sealed, queue!.id],
    );
    await old.sql(
      `INSERT INTO inbound_emails (mailbox_id, uid_validity, uid, message_id, status, reason, from_address, subject, size, rejected_attachments)
       VALUES ($1, 777, 41, '<a@example.org>', 'ignored', 'auto-reply', 'bot@example.org', 'Out of office', 120, '[]'),
              ($1, 777, 42, '<b@example.org>', 'rejected', 'too big', 'ann@example.org', 'Huge', 99999, '[{"name":"x.iso","reason":"too large"}]'),
              ($2, 5, 1, NULL, 'rejected', 'unreadable', NULL, NULL, 10, '[]')`,
      [support!.id, env!.id],
    );
    const smtpSealed = encryptSecret(SECRET, "smtp-pass");
    await old.sql(`INSERT INTO settings (key, value) VALUES ('email.smtp', $1)`, [
      JSON.stringify({
        host: "smtp.example.org",
        port: 465,
        secure: true,
        user: "desk",
        password_enc: smtpSealed,
        from: "Desk <desk@example.org>",
      }),
    ]);

    await old.migrate(MIGRATIONS);

    const accounts = await old.db.select().from(channelAccounts).orderBy(channelAccounts.id);
    const mailboxes = accounts.filter((a) => a.kind === "email").map(toMailbox);
    expect(mailboxes).toHaveLength(2);
    expect(mailboxes[0]).toMatchObject({
      name: "Support",
      source: "admin",
      host: "imap.example.org",
      port: 993,
      tls: true,
      username: "support",
      folder: "INBOX",
      queueId: queue!.id,
      isEnabled: true,
      state: "stopped",
      lastError: "timeout once",
      uidValidity: 777,
      lastUid: 42,
    });
    // The sealed password still opens with the same APP_SECRET.
    expect(decryptSecret(SECRET, mailboxes[0]!.passwordEnc)).toBe("imap-pass");
    expect(mailboxes[1]).toMatchObject({
      source: "env",
      tls: false,
      folder: "Help",
      isEnabled: false,
      lastUid: 0,
    });
    expect(mailboxes[1]!.uidValidity).toBeNull();

    const items = await old.sql(
      `SELECT channel, account_id, external_id, delivery_key, status, reason, sender, subject, size, rejected_files
       FROM inbound_items ORDER BY id`,
    );
    expect(items).toEqual([
      expect.objectContaining({
        channel: "email",
        account_id: mailboxes[0]!.id,
        external_id: "<a@example.org>",
        delivery_key: "777:41",
        status: "ignored",
        reason: "auto-reply",
        sender: "bot@example.org",
      }),
      expect.objectContaining({
        delivery_key: "777:42",
        status: "rejected",
        rejected_files: [{ name: "x.iso", reason: "too large" }],
      }),
      expect.objectContaining({ account_id: mailboxes[1]!.id, external_id: null, delivery_key: "5:1" }),
    ]);
    const gone = await old.sql(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('mailboxes', 'inbound_emails')`,
    );
    expect(gone[0]!.n).toBe(0);

    // The SMTP sender: one account, enabled, its password sealed as before; the settings row gone.
    const sender = await findSmtpAccount(old.db);
    expect(sender).toMatchObject({
      isEnabled: true,
      config: {
        host: "smtp.example.org",
        port: 465,
        secure: true,
        user: "desk",
        from: "Desk <desk@example.org>",
      },
    });
    expect(decryptSecret(SECRET, sender!.config.password)).toBe("smtp-pass");
    expect(await old.sql(`SELECT key FROM settings WHERE key = 'email.smtp'`)).toEqual([]);
  });
});
