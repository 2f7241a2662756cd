/**
 * Notification throughput benchmark (printed, never asserted): ticket events are made at a
 * steady rate (public replies by an admin, written and published exactly as the messages route
 * does), and every one is fanned out and e-mailed through the real job queue (pg-boss, worker
 * role in this process) to an SMTP sink. Prints, per mail, the time from the event's publish to
 * its arrival at the sink, the share within 10 s, and the largest queue depth seen.
 * Each event tells its ticket's requester and W watchers (operators), so one event is 1 + W mails.
 *   tsx notifications-throughput.ts [--db postgres|pglite] [--rate 200] [--seconds 10] [--watchers 1]
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { pino } from "pino";
import { SMTPServer } from "smtp-server";
import { createServer, type TServer } from "../server/src/app.js";
import { findActorsByIds } from "../server/src/modules/auth/auth.repository.js";
import { addMessage, createTicket } from "../server/src/modules/tickets/tickets.usecases.js";
import { createUser } from "../server/src/modules/users/users.usecases.js";
import type { TDomainEvent } from "../server/src/platform/bus.js";
import { loadConfig } from "../server/src/platform/config.js";

const out = (line: string) => process.stdout.write(`${line}\n`);
const now = () => performance.timeOrigin + performance.now();
const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

const { values: args } = parseArgs({
  options: {
    db: { type: "string", default: "postgres" },
    rate: { type: "string", default: "200" },
    seconds: { type: "string", default: "10" },
    watchers: { type: "string", default: "1" },
    tickets: { type: "string", default: "50" },
    "drain-seconds": { type: "string", default: "120" },
    "pg-url": {
      type: "string",
      default: process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    },
  },
});
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const WATCHERS = Number(args.watchers);
const TICKETS = Number(args.tickets);

/** A sink that only reads the Message-ID (it names the event) and the arrival time. */
async function startSink() {
  const arrivals: { eventId: number; at: number }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      let head = "";
      stream.on("data", (c: Buffer) => {
        if (head.length < 8192) head += c.toString("utf8");
      });
      stream.on("end", () => {
        const m = /^Message-ID:\s*<ticket-\d+-event-(\d+)\./im.exec(head);
        if (m) arrivals.push({ eventId: Number(m[1]), at: now() });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    arrivals,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function main() {
  const dataDir = mkdtempSync(path.join(tmpdir(), "helpdesk-notif-bench-"));
  let databaseUrl: string | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  if (args.db === "postgres") {
    const name = `helpdesk_notifbench_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: args["pg-url"] });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    databaseUrl = args["pg-url"]!.replace(/\/[^/]*$/, `/${name}`);
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: args["pg-url"] });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const sink = await startSink();
  const config = loadConfig({
    NODE_ENV: "production",
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    APP_SECRET: randomBytes(32).toString("hex"),
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    MAIL_FROM: "Helpdesk <support@bench.local>",
    ...(process.env.JOBS_CONCURRENCY ? { JOBS_CONCURRENCY: process.env.JOBS_CONCURRENCY } : {}),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  let server: TServer | undefined;
  try {
    server = await createServer(config, { logger: pino({ level: "warn" }), jobs: "pg-boss" });
    const { ctx } = server;
    out(`server: ${args.db}, ${RATE} events/s for ${SECONDS} s, ${1 + WATCHERS} mails per event`);

    const password = "bench-password-123";
    const mk = (role: "admin" | "operator" | "requester", i: number) =>
      createUser(ctx.db, {
        email: `nb-${role}-${i}@example.com`,
        password,
        name: `Bench ${role} ${i}`,
        role,
        department_ids: role === "operator" ? [1] : [],
      }).then((u) => u.id);
    const adminId = await mk("admin", 0);
    const watcherIds: number[] = [];
    for (let i = 0; i < WATCHERS; i++) watcherIds.push(await mk("operator", i));
    const [admin] = await findActorsByIds(ctx.db, [adminId]);
    const ticketIds: number[] = [];
    for (let i = 0; i < TICKETS; i++) {
      const requesterId = await mk("requester", i);
      const [requester] = await findActorsByIds(ctx.db, [requesterId]);
      const id = await ctx.db.transaction((tx) =>
        createTicket(tx, () => {}, requester!, {
          title: `Throughput ${i}`,
          description: "bench",
          attachment_ids: [],
        } as never),
      );
      ticketIds.push(id);
      for (const w of watcherIds)
        await ctx.database.executor.executeSql(
          "INSERT INTO ticket_watchers (ticket_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
          [id, w],
        );
    }
    // Let the creation events' own notifications drain first: they are not measured.
    await waitForQuiet(server);
    sink.arrivals.length = 0;

    const published = new Map<number, number>();
    let maxQueued = 0;
    const sampler = setInterval(() => {
      void ctx.database.executor
        .executeSql(
          "SELECT count(*)::int AS n FROM pgboss.job WHERE name LIKE 'notifications.%' AND state IN ('created','retry','active')",
        )
        .then((r) => {
          maxQueued = Math.max(maxQueued, Number(r.rows[0]?.n ?? 0));
        })
        .catch(() => {});
    }, 500);

    // Events in ticks of 50 ms: each tick makes its share at once (as concurrent requests
    // would), each event written and published as the messages route does.
    const total = RATE * SECONDS;
    const perTick = RATE / 20;
    const started = now();
    let made = 0;
    const makeEvent = async (n: number) => {
      const outbox: TDomainEvent[] = [];
      const ticketId = ticketIds[n % ticketIds.length]!;
      await ctx.db.transaction((tx) =>
        addMessage(tx, (e) => outbox.push(e), admin!, {
          ticketId,
          text: `event ${n}`,
          isInternal: false,
          attachmentIds: [],
        }),
      );
      for (const e of outbox) {
        if ("eventId" in e && e.eventId !== null) published.set(e.eventId, now());
        ctx.bus.publish(e);
      }
    };
    while (made < total) {
      const due = Math.min(total, Math.floor(((now() - started) / 50 + 1) * perTick));
      const tick: Promise<void>[] = [];
      for (; made < due; made++) tick.push(makeEvent(made));
      await Promise.all(tick);
      await new Promise((r) => setTimeout(r, Math.max(0, started + (made / perTick) * 50 - now())));
    }
    const generatedIn = now() - started;
    out(`made ${made} events in ${fmt(generatedIn)} (${(made / (generatedIn / 1000)).toFixed(0)} events/s)`);

    const expected = made * (1 + WATCHERS);
    const drainDeadline = now() + Number(args["drain-seconds"]) * 1000;
    while (sink.arrivals.length < expected && now() < drainDeadline)
      await new Promise((r) => setTimeout(r, 200));
    clearInterval(sampler);
    const lastAt = Math.max(...sink.arrivals.map((a) => a.at));
    const latencies = sink.arrivals
      .filter((a) => published.has(a.eventId))
      .map((a) => a.at - published.get(a.eventId)!)
      .sort((a, b) => a - b);
    const within10 = latencies.filter((l) => l <= 10_000).length;
    out(
      `mails: ${latencies.length} of ${expected} arrived; last ${fmt(lastAt - started - generatedIn)} after the last event`,
    );
    out(
      `event → mail at the sink: p50 ${fmt(percentile(latencies, 50))}, p95 ${fmt(percentile(latencies, 95))}, p99 ${fmt(percentile(latencies, 99))}, max ${fmt(latencies.at(-1) ?? Number.NaN)}`,
    );
    out(`within 10 s: ${within10} of ${expected} (${((100 * within10) / expected).toFixed(1)} %)`);
    out(`largest notification queue depth seen: ${maxQueued} jobs`);
    out(`throughput: ${(latencies.length / ((lastAt - started) / 1000)).toFixed(0)} mails/s`);
  } finally {
    await server?.close();
    await sink.close();
    await dropDatabase?.();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function waitForQuiet(server: TServer) {
  for (let i = 0; i < 600; i++) {
    const { rows } = await server.ctx.database.executor.executeSql(
      "SELECT count(*)::int AS n FROM pgboss.job WHERE name LIKE 'notifications.%' AND state IN ('created','retry','active')",
    );
    if (Number(rows[0]?.n ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
    process.exit(1);
  },
);
