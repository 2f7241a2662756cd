/**
 * Notification throughput benchmark (printed, never asserted): ticket events are made at a
 * steady rate (public replies by an admin, written and published exactly as the messages route
 * does), and every one is fanned out and e-mailed through the real job queue (pg-boss) to an
 * SMTP sink. Three processes, as in production: this one writes the events (the web role: it
 * queues each event's fan-out), a child runs the worker role (fan-out and delivery), another
 * child is the mail server. Prints, per mail, the time from the event's publish to its arrival
 * at the sink, the share within 10 s, and the largest queue depth seen.
 * Each event tells its ticket's requester and W watchers (operators), so one event is 1 + W mails.
 *   tsx notifications-throughput.ts [--db postgres|pglite] [--rate 200] [--seconds 10] [--watchers 1] [--timeline]
 * With `--db pglite` everything runs in this one process (the embedded database has one owner).
 */
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
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
    timeline: { type: "boolean", default: false },
    role: { type: "string", default: "bench" },
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

type TArrival = { eventId: number; at: number };

/** A sink that only reads the Message-ID (it names the event) and the arrival time. */
async function startSink(onArrival: (a: TArrival) => void) {
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
        if (m) onArrival({ eventId: Number(m[1]), at: now() });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const here = fileURLToPath(import.meta.url);

/** CPU time this process has used (user + system), in ms. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Asks a child for the CPU time it has used. */
const childCpuMs = (child: ChildProcess) =>
  new Promise<number>((resolve) => {
    const onMessage = (m: { kind?: string; ms?: number }) => {
      if (m.kind !== "cpu") return;
      child.off("message", onMessage);
      resolve(m.ms ?? Number.NaN);
    };
    child.on("message", onMessage);
    child.send({ kind: "cpu" });
  });

/** CPU time used by the PostgreSQL backends serving this database (Linux /proc), in ms. */
async function postgresCpuMs(executor: { executeSql: (q: string) => Promise<{ rows: unknown[] }> }) {
  const { rows } = await executor.executeSql(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()",
  );
  let ticks = 0;
  for (const { pid } of rows as { pid: number }[]) {
    try {
      // Fields 14 and 15 after the command in parentheses: utime and stime, in clock ticks.
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // A backend that ended in between.
    }
  }
  return ticks * 10;
}

/** Child process roles: the mail server, reporting arrivals in batches; the worker role. */
async function runChild(role: string) {
  const send = (m: unknown) => process.send?.(m);
  if (role === "sink") {
    let pending: TArrival[] = [];
    const sink = await startSink((a) => pending.push(a));
    setInterval(() => {
      if (pending.length === 0) return;
      send({ kind: "arrivals", arrivals: pending });
      pending = [];
    }, 100);
    process.on("message", (m: { kind?: string }) => {
      if (m.kind === "cpu") send({ kind: "cpu", ms: cpuMs() });
    });
    send({ kind: "ready", port: sink.port });
    return new Promise<never>(() => {});
  }
  const config = loadConfig({ ...(JSON.parse(process.env.BENCH_CONFIG ?? "{}") as Record<string, string>) });
  const server = await createServer(config, { logger: pino({ level: "warn" }), jobs: "pg-boss" });
  process.on("message", (m: { kind?: string }) => {
    if (m.kind === "cpu") send({ kind: "cpu", ms: cpuMs() });
    if (m.kind === "stop") void server.close().then(() => process.exit(0));
  });
  send({ kind: "ready" });
  return new Promise<never>(() => {});
}

function forkChild(role: string, env: Record<string, string> = {}) {
  const child = fork(here, ["--role", role], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, ...env },
  });
  const ready = new Promise<{ port?: number }>((resolve, reject) => {
    child.on("message", (m: { kind?: string; port?: number }) => {
      if (m.kind === "ready") resolve(m);
    });
    child.once("exit", (code) => reject(new Error(`${role} exited with ${code}`)));
  });
  return { child, ready };
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
  const arrivals: TArrival[] = [];
  const sink = forkChild("sink");
  sink.child.on("message", (m: { kind?: string; arrivals?: TArrival[] }) => {
    if (m.kind === "arrivals" && m.arrivals) arrivals.push(...m.arrivals);
  });
  const { port } = await sink.ready;
  const env: Record<string, string> = {
    NODE_ENV: "production",
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    APP_SECRET: randomBytes(32).toString("hex"),
    SMTP_URL: `smtp://127.0.0.1:${port}`,
    MAIL_FROM: "Helpdesk <support@bench.local>",
    ...(process.env.JOBS_CONCURRENCY ? { JOBS_CONCURRENCY: process.env.JOBS_CONCURRENCY } : {}),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  // On PostgreSQL this process is the web role and a child the worker; PGlite has one owner.
  const separateWorker = databaseUrl !== undefined;
  const config = loadConfig({ ...env, SERVICES: separateWorker ? "web" : "web,worker" });
  let server: TServer | undefined;
  let worker: ChildProcess | undefined;
  try {
    server = await createServer(config, { logger: pino({ level: "warn" }), jobs: "pg-boss" });
    const { ctx } = server;
    if (separateWorker) {
      const w = forkChild("worker", { BENCH_CONFIG: JSON.stringify({ ...env, SERVICES: "worker" }) });
      worker = w.child;
      await w.ready;
    }
    const cpuSnapshot = async (): Promise<Record<string, number>> => ({
      events: cpuMs(),
      ...(worker ? { worker: await childCpuMs(worker) } : {}),
      "mail server": await childCpuMs(sink.child),
      ...(separateWorker ? { postgres: await postgresCpuMs(ctx.database.executor) } : {}),
    });
    out(
      `server: ${args.db}, ${RATE} events/s for ${SECONDS} s, ${1 + WATCHERS} mails per event; ` +
        (separateWorker ? "events, worker and mail server in three processes" : "one process"),
    );

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
    await new Promise((r) => setTimeout(r, 300));
    arrivals.length = 0;

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
    const cpuBefore = await cpuSnapshot();
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
    while (arrivals.length < expected && now() < drainDeadline) await new Promise((r) => setTimeout(r, 200));
    clearInterval(sampler);
    const cpuAfter = await cpuSnapshot();
    const lastAt = Math.max(...arrivals.map((a) => a.at));
    const latencies = arrivals
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
    const used = Object.entries(cpuAfter).map(([k, v]) => [k, v - (cpuBefore[k] ?? 0)] as const);
    const cpuLine = used.map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`).join(", ");
    const cpuTotal = used.reduce((sum, [, ms]) => sum + ms, 0);
    out(`CPU used: ${cpuLine}; ${(cpuTotal / made).toFixed(1)} ms per event`);
    if (args.timeline) {
      // Per second since the first event: events made, mails arrived, and their median wait.
      const seconds = Math.ceil((lastAt - started) / 1000);
      for (let s = 0; s < seconds; s++) {
        const inSecond = (at: number) => at - started >= s * 1000 && at - started < (s + 1) * 1000;
        const made = [...published.values()].filter(inSecond).length;
        const arrived = arrivals.filter((a) => inSecond(a.at));
        const waits = arrived.map((a) => a.at - (published.get(a.eventId) ?? a.at)).sort((a, b) => a - b);
        out(
          `  ${String(s).padStart(3)} s: ${String(made).padStart(4)} events, ${String(arrived.length).padStart(4)} mails (p50 ${fmt(percentile(waits, 50))})`,
        );
      }
    }
  } finally {
    if (worker) {
      const exited = new Promise((r) => worker?.once("exit", r));
      worker.send({ kind: "stop" });
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      worker.kill();
    }
    await server?.close();
    sink.child.kill();
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

(args.role === "bench" ? main() : runChild(args.role)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
    process.exit(1);
  },
);
