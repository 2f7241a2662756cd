import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDovecot, type TDovecot } from "../email/dovecot.js";

/**
 * Two real worker processes (the CLI's `worker` command) on one PostgreSQL database read one
 * IMAP mailbox: only the lease holder reads it, every mail becomes one ticket, and when the
 * holder is killed (SIGKILL: no goodbye, the lease just stops being renewed) the other worker
 * takes the mailbox over within the lease time and goes on from the saved cursor.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const cli = path.join(root, "server/src/cli.ts");
const PG_ADMIN_URL = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const LEASE_MS = 2000;

type TWorker = { name: string; child: ChildProcess; log: string[]; exited: boolean };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(process.env.TEST_DB !== "postgres")(
  "channel leases across worker processes (PostgreSQL)",
  () => {
    let dovecot: TDovecot;
    let databaseUrl = "";
    let dbName = "";
    let db: pg.Client;
    const dataDir = mkdtempSync(path.join(tmpdir(), "helpdesk-lease-"));
    const workers: TWorker[] = [];

    const startWorker = (name: string): TWorker => {
      // Node itself with tsx's loader (not the tsx wrapper): a SIGKILL must kill the worker.
      const child = spawn(process.execPath, ["--import", "tsx", cli, "worker"], {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? "",
          DATA_DIR: dataDir,
          DATABASE_URL: databaseUrl,
          APP_SECRET: "lease-test-secret-that-is-long-enough-0123456789",
          IMAP_URL: dovecot.url,
          CHANNEL_LEASE_MS: String(LEASE_MS),
          JOBS_POLLING_INTERVAL_MS: "500",
          LOG_LEVEL: "info",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const w: TWorker = { name, child, log: [], exited: false };
      const keep = (d: Buffer) => {
        for (const line of d.toString().split("\n")) if (line.trim()) w.log.push(line);
      };
      child.stdout?.on("data", keep);
      child.stderr?.on("data", keep);
      child.once("exit", () => {
        w.exited = true;
      });
      workers.push(w);
      return w;
    };

    /** The receiver starts a worker logged: which account, as which lease owner. */
    const receiverStarts = (w: TWorker) =>
      w.log
        .filter((l) => l.includes("channel receiver started"))
        .map((l) => JSON.parse(l) as { accountId: number; owner: string });

    const query = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
      (await db.query<T>(text, values)).rows;

    async function until<T>(
      what: string,
      read: () => Promise<T | undefined | false>,
      ms = 30_000,
    ): Promise<T> {
      const end = Date.now() + ms;
      for (;;) {
        const v = await read();
        if (v) return v;
        if (Date.now() > end) {
          const state = await db
            .query(
              "SELECT id, lease_owner, lease_until, now() AS now, state, last_error FROM channel_accounts",
            )
            .then((r) => JSON.stringify(r.rows))
            .catch(() => "?");
          throw new Error(
            `${what}: not in time; accounts ${state}\n${workers.map((w) => `${w.name}:\n${w.log.slice(-15).join("\n")}`).join("\n")}`,
          );
        }
        await sleep(100);
      }
    }

    const mail = (id: string) =>
      [
        "From: Lease Client <lease@client.example>",
        "To: support@example.com",
        `Subject: Lease ${id}`,
        `Message-ID: <${id}@client.example>`,
        "Content-Type: text/plain; charset=utf-8",
        "",
        "x",
        "",
      ].join("\r\n");

    beforeAll(async () => {
      dovecot = await startDovecot();
      dbName = `helpdesk_lease_${randomBytes(5).toString("hex")}`;
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${dbName}`);
      await admin.end();
      databaseUrl = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`);
      db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
    }, 60_000);

    afterAll(async () => {
      for (const w of workers) if (!w.exited) w.child.kill("SIGKILL");
      await db?.end().catch(() => {});
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
      await dovecot?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("reads the mailbox in one worker only, and hands it over when that worker is killed", {
      timeout: 180_000,
    }, async () => {
      const a = startWorker("A");
      const b = startWorker("B");
      // Both mirror IMAP_URL into the one environment mailbox; both migrate the database.
      await until("a receiver started", async () => receiverStarts(a).length + receiverStarts(b).length > 0);
      const accounts = await query<{ id: number; lease_owner: string }>(
        "SELECT id, lease_owner FROM channel_accounts WHERE kind = 'email'",
      );
      expect(accounts).toHaveLength(1);
      const holder = receiverStarts(a).length > 0 ? a : b;
      const other = holder === a ? b : a;

      const first = Array.from({ length: 12 }, (_, i) => `first-${i}`);
      for (const id of first) await dovecot.append(mail(id));
      // IDLE's push usually brings them at once; a mail that lands between the receiver's first
      // search and its IDLE is found by the 30 s poll, so the wait is longer than that.
      await until(
        "the first mails are in",
        async () => {
          const [row] = await query<{ n: number }>("SELECT count(*)::int AS n FROM inbound_items");
          return row!.n >= first.length;
        },
        60_000,
      );
      // A few more scans: the other worker must still not have started the mailbox.
      await sleep(LEASE_MS * 1.5);
      expect(receiverStarts(holder)).toHaveLength(1);
      expect(receiverStarts(other)).toHaveLength(0);

      // The holder dies without releasing anything.
      holder.child.kill("SIGKILL");
      await until("the holder exited", async () => holder.exited);
      const killedAt = Date.now();
      await until("the other worker took over", async () => receiverStarts(other).length > 0, LEASE_MS * 10);
      const handoverMs = Date.now() - killedAt;
      expect(handoverMs).toBeLessThan(LEASE_MS * 5);
      const [lease] = await query<{ lease_owner: string; state: string }>(
        "SELECT lease_owner, state FROM channel_accounts WHERE id = $1",
        [accounts[0]!.id],
      );
      expect(lease!.lease_owner).toBe(receiverStarts(other)[0]!.owner);

      const second = Array.from({ length: 8 }, (_, i) => `second-${i}`);
      for (const id of second) await dovecot.append(mail(id));
      await until("the second mails are in", async () => {
        const [row] = await query<{ n: number }>("SELECT count(*)::int AS n FROM inbound_items");
        return row!.n >= first.length + second.length;
      });
      await sleep(1000);
      // Exactly once: one inbound record and one ticket per mail, across both workers.
      const items = await query<{ external_id: string; status: string }>(
        "SELECT external_id, status FROM inbound_items ORDER BY id",
      );
      expect(items.map((i) => i.external_id).sort()).toEqual(
        [...first, ...second].map((id) => `<${id}@client.example>`).sort(),
      );
      expect(new Set(items.map((i) => i.status))).toEqual(new Set(["ticket"]));
      const [tickets] = await query<{ n: number }>(
        "SELECT count(*)::int AS n FROM tickets WHERE title LIKE 'Lease %'",
      );
      expect(tickets!.n).toBe(first.length + second.length);
      const flags = await dovecot.flags();
      expect([...flags.values()].every((f) => f.has("\\Seen"))).toBe(true);
    });
  },
);
