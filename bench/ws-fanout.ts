/**
 * WebSocket fan-out benchmark: starts the server in this process (PGlite in a temp dir, or a
 * fresh PostgreSQL database), opens N WebSocket clients in a child process (the other core) as
 * staff users who may see one ticket, triggers ticket events through the HTTP API and measures
 * per-event delivery latency from the bus publish to each socket. Results are printed, never
 * asserted. Bounded in time; stops itself.
 *   tsx ws-fanout.ts [--db pglite|postgres] [--clients 1000] [--events 200] [--gap 20]
 */
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { pino } from "pino";
import WebSocket from "ws";
import { createServer, type TServer } from "../server/src/app.js";
import { getRealtimeHub } from "../server/src/modules/realtime/realtime.routes.js";
import { createUser } from "../server/src/modules/users/users.usecases.js";
import { loadConfig } from "../server/src/platform/config.js";

const here = fileURLToPath(import.meta.url);
const out = (line: string) => process.stdout.write(`${line}\n`);
const now = () => performance.timeOrigin + performance.now();

type TClientsSetup = { url: string; tokens: string[]; clients: number; ticketId: number };
type TClientsReport = { received: Record<string, number[]>; connectMs: number };

// ---- the client side (child process) ----------------------------------------------------
async function runClients(setup: TClientsSetup): Promise<void> {
  const received: Record<string, number[]> = {};
  const started = now();
  const sockets: WebSocket[] = [];
  const opened: Promise<void>[] = [];
  for (let i = 0; i < setup.clients; i++) {
    const token = setup.tokens[i % setup.tokens.length]!;
    const socket = new WebSocket(setup.url, { headers: { authorization: `Bearer ${token}` } });
    sockets.push(socket);
    opened.push(
      new Promise((resolve, reject) => {
        socket.on("error", reject);
        socket.on("message", (data) => {
          const t = now();
          const text = String(data);
          // Events are read without a full JSON.parse: this process measures, it should not be the bottleneck.
          if (text.startsWith('{"type":"event","id":')) {
            const key = text.slice(21, text.indexOf(",", 21));
            const list = received[key] ?? [];
            list.push(t);
            received[key] = list;
            return;
          }
          const m = JSON.parse(text) as { type: string };
          if (m.type === "hello")
            socket.send(JSON.stringify({ type: "subscribe", topics: [`ticket:${setup.ticketId}`] }));
          else if (m.type === "subscribed") resolve();
        });
      }),
    );
    // Open in small groups so the accept queue never overflows.
    if (i % 100 === 99) await Promise.all(opened.slice(i - 99, i + 1));
  }
  await Promise.all(opened);
  process.send?.({ kind: "ready", connectMs: now() - started });
  process.on("message", (msg: { kind: string }) => {
    if (msg.kind !== "report") return;
    for (const s of sockets) s.terminate();
    // Exit only once the (large) report has been handed over the IPC channel.
    process.send?.({ kind: "report", received, connectMs: now() - started }, undefined, {}, () =>
      process.exit(0),
    );
  });
}

// ---- the server side (this process) -------------------------------------------------------
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function main() {
  const { values } = parseArgs({
    options: {
      db: { type: "string", default: "pglite" },
      clients: { type: "string", default: "1000" },
      events: { type: "string", default: "200" },
      gap: { type: "string", default: "20" },
      users: { type: "string", default: "40" },
      "pg-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
      "max-seconds": { type: "string", default: "180" },
    },
  });
  const clients = Number(values.clients);
  const eventCount = Number(values.events);
  const gapMs = Number(values.gap);
  const userCount = Math.min(Number(values.users), clients);
  const deadline = setTimeout(() => {
    out("bench: time limit reached, stopping");
    process.exit(2);
  }, Number(values["max-seconds"]) * 1000);
  deadline.unref();

  const dataDir = mkdtempSync(path.join(tmpdir(), "helpdesk-ws-bench-"));
  let dropDatabase: (() => Promise<void>) | undefined;
  let databaseUrl: string | undefined;
  if (values.db === "postgres") {
    const name = `helpdesk_wsbench_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: values["pg-url"] });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    databaseUrl = values["pg-url"]!.replace(/\/[^/]*$/, `/${name}`);
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: values["pg-url"] });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const config = loadConfig({
    NODE_ENV: "production",
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    APP_SECRET: randomBytes(32).toString("hex"),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  let server: TServer | undefined;
  let child: ChildProcess | undefined;
  try {
    server = await createServer(config, { logger: pino({ level: "warn" }), jobs: "inline" });
    const address = await server.app.listen({ port: 0, host: "127.0.0.1" });
    out(`server: ${values.db}, ${address}`);

    // Staff who may see a General-queue ticket: operators and executors of the seed department.
    const password = "bench-password-123";
    const tokens: string[] = [];
    for (let i = 0; i < userCount; i++) {
      const email = `ws-bench-${i}@example.com`;
      await createUser(server.ctx.db, {
        email,
        password,
        name: `Bench ${i}`,
        role: i % 2 === 0 ? "operator" : "executor",
        department_ids: [1],
      });
      const res = await fetch(`${address}/api/auth/login/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password }),
      });
      tokens.push(((await res.json()) as { access: string }).access);
    }
    const auth = { authorization: `Bearer ${tokens[0]}`, "content-type": "application/json" };
    const created = await fetch(`${address}/api/tickets/`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ title: "Fan-out bench", description: "" }),
    });
    const ticketId = ((await created.json()) as { id: number }).id;

    // Publish times by event id, taken where the hub gets them.
    const published = new Map<number, number>();
    server.ctx.bus.subscribe((e) => {
      if ("eventId" in e && e.eventId !== null) published.set(e.eventId, now());
    });

    child = fork(here, ["--clients-mode"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const ready = await new Promise<{ connectMs: number }>((resolve, reject) => {
      child!.once("message", (m) => resolve(m as { connectMs: number }));
      child!.once("exit", (code) => reject(new Error(`clients exited with ${code}`)));
      child!.send({
        kind: "setup",
        setup: {
          url: `${address.replace(/^http/, "ws")}/ws`,
          tokens,
          clients,
          ticketId,
        } satisfies TClientsSetup,
      });
    });
    out(
      `clients: ${clients} sockets as ${userCount} staff users, connected and subscribed in ${fmt(ready.connectMs)}`,
    );

    const requestMs: number[] = [];
    for (let i = 0; i < eventCount; i++) {
      const t0 = now();
      const res = await fetch(`${address}/api/${i % 2 === 0 ? "messages" : "notes"}/`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ ticket_id: ticketId, text: `event ${i}` }),
      });
      await res.arrayBuffer();
      requestMs.push(now() - t0);
      if (i % 50 === 49) out(`  ${i + 1}/${eventCount} events sent`);
      if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    }
    await new Promise((r) => setTimeout(r, 1000));

    const report = await new Promise<TClientsReport>((resolve) => {
      child!.on("message", (m) => {
        if ((m as { kind: string }).kind === "report") resolve(m as TClientsReport);
      });
      child!.send({ kind: "report" });
    });

    const perSocket: number[] = [];
    const perEventAll: number[] = [];
    let missing = 0;
    for (const [id, at] of published) {
      const got = report.received[String(id)] ?? [];
      missing += clients - got.length;
      if (got.length === 0) continue;
      for (const t of got) perSocket.push(t - at);
      perEventAll.push(Math.max(...got) - at);
    }
    perSocket.sort((a, b) => a - b);
    perEventAll.sort((a, b) => a - b);
    requestMs.sort((a, b) => a - b);
    out(`events: ${published.size} published, ${perSocket.length} deliveries, ${missing} missing`);
    out(
      `delivery latency, publish → each socket: p50 ${fmt(percentile(perSocket, 50))}, p95 ${fmt(percentile(perSocket, 95))}, p99 ${fmt(percentile(perSocket, 99))}, max ${fmt(perSocket.at(-1) ?? Number.NaN)}`,
    );
    out(
      `fan-out complete, publish → last of ${clients} sockets: p50 ${fmt(percentile(perEventAll, 50))}, p95 ${fmt(percentile(perEventAll, 95))}, p99 ${fmt(percentile(perEventAll, 99))}`,
    );
    const hubMs = (getRealtimeHub(server.ctx)?.stats().recentFanOutMs ?? []).sort((a, b) => a - b);
    out(
      `hub, event received → sent to all sockets (incl. one access read): p50 ${fmt(percentile(hubMs, 50))}, p95 ${fmt(percentile(hubMs, 95))}, p99 ${fmt(percentile(hubMs, 99))}`,
    );
    out(
      `HTTP request that made the event: p50 ${fmt(percentile(requestMs, 50))}, p99 ${fmt(percentile(requestMs, 99))}`,
    );
  } finally {
    child?.kill();
    await server?.close();
    await dropDatabase?.();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv.includes("--clients-mode")) {
  process.once("message", (m: { kind: string; setup: TClientsSetup }) => {
    runClients(m.setup).catch((error: unknown) => {
      process.stderr.write(`clients failed: ${String(error)}\n`);
      process.exit(1);
    });
  });
} else {
  main()
    .then(() => process.exit(0))
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    });
}
