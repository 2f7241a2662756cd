/**
 * E-mail and notification benchmarks (printed, never asserted):
 *  1. IMAP ingest: N mails are appended to a private Dovecot, then the mailbox reader turns them
 *     into tickets; prints mails per second.
 *  2. Fan-out: one ticket event to R recipients (operators of the queue's department); prints
 *     how long it takes until every delivery row, in-app notification and delivery job is queued.
 *   tsx email-ingest.ts [--db pglite|postgres] [--mails 1000] [--recipients 1000]
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { ImapFlow } from "imapflow";
import pg from "pg";
import { pino } from "pino";
import { createServer } from "../server/src/app.js";
import { startChannelRuntime } from "../server/src/channels/channels.runtime.js";
import { fanOutEvent } from "../server/src/modules/notifications/notifications.engine.js";
import { createTicket } from "../server/src/modules/tickets/tickets.usecases.js";
import type { TDomainEvent } from "../server/src/platform/bus.js";
import { loadConfig } from "../server/src/platform/config.js";
import { startDovecot } from "../server/test/email/dovecot.js";

const out = (line: string) => process.stdout.write(`${line}\n`);
const { values: args } = parseArgs({
  options: {
    db: { type: "string", default: "pglite" },
    mails: { type: "string", default: "1000" },
    recipients: { type: "string", default: "1000" },
  },
});
const MAILS = Number(args.mails);
const RECIPIENTS = Number(args.recipients);

const dataDir = mkdtempSync(path.join(tmpdir(), "bench-email-"));
let databaseUrl: string | undefined;
let dropDb: (() => Promise<void>) | undefined;
if (args.db === "postgres") {
  const admin = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const name = `bench_email_${randomBytes(4).toString("hex")}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  databaseUrl = admin.replace(/\/[^/]*$/, `/${name}`);
  dropDb = async () => {
    const d = new pg.Client({ connectionString: admin });
    await d.connect();
    await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await d.end();
  };
}

const dovecot = await startDovecot();
const config = loadConfig({
  NODE_ENV: "test",
  DATA_DIR: dataDir,
  APP_SECRET: "bench-secret-that-is-long-enough-0123456789",
  LOG_LEVEL: "silent",
  SERVICES: "web",
  IMAP_URL: dovecot.url,
  ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
});
// pg-boss queues the jobs (web role: nobody runs them here), as in production.
const server = await createServer(config, { logger: pino({ level: "silent" }), jobs: "pg-boss" });
const { ctx } = server;

try {
  // 1. Ingest.
  const client = new ImapFlow({
    host: "127.0.0.1",
    port: dovecot.port,
    secure: false,
    auth: { user: dovecot.user, pass: dovecot.pass },
    logger: false,
  });
  await client.connect();
  for (let i = 0; i < MAILS; i++) {
    await client.append(
      "INBOX",
      [
        `From: Client ${i % 50} <client${i % 50}@bench.example>`,
        "To: support@example.com",
        `Subject: Bench request ${i}`,
        `Message-ID: <bench-${i}@bench.example>`,
        "Content-Type: text/plain; charset=utf-8",
        "",
        `Здравствуйте! Не работает сервис номер ${i}. Пожалуйста, помогите.`,
        "",
      ].join("\r\n"),
    );
  }
  await client.logout();
  const t0 = performance.now();
  // The mailbox is read as a worker process reads it: under the channel runtime's lease.
  const runtime = startChannelRuntime(ctx, ctx.channels, { owner: "bench" });
  for (;;) {
    const { rows } = await ctx.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM inbound_items`);
    if (Number(rows[0]?.n) >= MAILS) break;
    if (performance.now() - t0 > 300_000) throw new Error("ingest did not finish in 5 minutes");
    await new Promise((r) => setTimeout(r, 50));
  }
  const ingestSec = (performance.now() - t0) / 1000;
  await runtime.stop();
  const { rows: t } = await ctx.db.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM tickets WHERE source = 'email'`,
  );
  out(
    `[${args.db}] IMAP ingest: ${MAILS} mails -> ${t[0]?.n} tickets in ${ingestSec.toFixed(2)} s = ${(MAILS / ingestSec).toFixed(0)} mails/s`,
  );

  // 2. Fan-out to R recipients.
  const { rows: dep } = await ctx.db.execute<{ id: number; queue_id: number }>(
    sql`SELECT department_id AS id, id AS queue_id FROM queues WHERE slug = 'general'`,
  );
  const departmentId = Number(dep[0]!.id);
  await ctx.db.execute(sql`
    WITH u AS (
      INSERT INTO users (email, name, role, language)
      SELECT 'op' || g || '@bench.example', 'Operator ' || g, 'operator', CASE WHEN g % 2 = 0 THEN 'ru' ELSE 'en' END
      FROM generate_series(1, ${RECIPIENTS}) g
      RETURNING id)
    INSERT INTO user_departments (user_id, department_id) SELECT id, ${departmentId} FROM u`);
  const { rows: req } = await ctx.db.execute<{ id: number }>(
    sql`SELECT id FROM users WHERE email = 'client1@bench.example'`,
  );
  const outbox: TDomainEvent[] = [];
  const requester = {
    id: Number(req[0]!.id),
    role: "requester" as const,
    email: "client1@bench.example",
    name: "Client",
    language: "ru" as const,
    departmentIds: [],
    queueIds: [],
    sessionId: null,
    apiTokenId: null,
  };
  await ctx.db.transaction((tx) =>
    createTicket(tx, (e) => outbox.push(e), requester, {
      title: "Fan-out bench",
      description: "One event, many recipients",
      attachment_ids: [],
    }),
  );
  const created = outbox[0];
  if (created?.type !== "created" || created.eventId === null) throw new Error("no created event");
  const eventId = created.eventId;
  const f0 = performance.now();
  const r = await fanOutEvent(ctx, eventId);
  const fanMs = performance.now() - f0;
  out(
    `[${args.db}] fan-out: 1 event -> ${r?.recipients} recipients, ${r?.queued} deliveries queued (in-app written, e-mail jobs in pg-boss) in ${fanMs.toFixed(0)} ms`,
  );
} finally {
  await server.close();
  await dovecot.close();
  await dropDb?.();
  rmSync(dataDir, { recursive: true, force: true });
}
