/**
 * Embedded-database latency benchmark (printed, never asserted). Starts the server on PGlite
 * in a temp dir with the worker role, an SMTP sink and a backlog of notification work (new
 * tickets fanned out to every operator: in-app rows and e-mails), so background jobs hold the
 * single connection as they would after `seed-demo`. Then measures over HTTP:
 *  1. light load: one health probe due every 200 ms (latency counted from when it was due);
 *  2. mixed load: 8 clients in a loop (ticket list, one ticket, a reply, notifications) with
 *     the health probe still running.
 * Prints p50 / p99 / max per phase.
 *   tsx embedded-latency.ts [--backlog 400] [--operators 10] [--light 10] [--mixed 20] [--clients 8]
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { SMTPServer } from "smtp-server";
import { createServer, type TServer } from "../server/src/app.js";
import { findActorsByIds } from "../server/src/modules/auth/auth.repository.js";
import { FAN_OUT_JOB } from "../server/src/modules/notifications/notifications.engine.js";
import { createTicket } from "../server/src/modules/tickets/tickets.usecases.js";
import { createUser } from "../server/src/modules/users/users.usecases.js";
import type { TDomainEvent } from "../server/src/platform/bus.js";
import { loadConfig } from "../server/src/platform/config.js";

const out = (line: string) => process.stdout.write(`${line}\n`);
const now = () => performance.now();
const { values: args } = parseArgs({
  options: {
    backlog: { type: "string", default: "400" },
    operators: { type: "string", default: "10" },
    light: { type: "string", default: "10" },
    mixed: { type: "string", default: "20" },
    clients: { type: "string", default: "8" },
  },
});

function summary(label: string, ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const p = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? Number.NaN;
  out(
    `${label.padEnd(34)} n=${String(s.length).padStart(5)}  p50 ${p(0.5).toFixed(1)} ms  p99 ${p(0.99).toFixed(1)} ms  max ${(s.at(-1) ?? Number.NaN).toFixed(1)} ms`,
  );
}

async function startSink() {
  let count = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      stream.on("data", () => {});
      stream.on("end", () => {
        count += 1;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    count: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function main() {
  const dataDir = mkdtempSync(path.join(tmpdir(), "helpdesk-embedded-bench-"));
  const sink = await startSink();
  const config = loadConfig({
    NODE_ENV: "production",
    DATA_DIR: dataDir,
    LOG_LEVEL: "error",
    APP_SECRET: randomBytes(32).toString("hex"),
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    MAIL_FROM: "Helpdesk <support@bench.local>",
  });
  let server: TServer | undefined;
  try {
    server = await createServer(config, { logger: pino({ level: "error" }), jobs: "pg-boss" });
    const { ctx } = server;
    const address = await server.app.listen({ port: 0, host: "127.0.0.1" });
    out(`server: pglite in ${dataDir}, ${address}`);

    const password = "bench-password-123";
    for (let i = 0; i < Number(args.operators); i++)
      await createUser(ctx.db, {
        email: `el-op-${i}@example.com`,
        password,
        name: `Operator ${i}`,
        role: "operator",
        department_ids: [1],
      });
    const login = async (email: string) => {
      const res = await fetch(`${address}/api/auth/login/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password }),
      });
      return { authorization: `Bearer ${((await res.json()) as { access: string }).access}` };
    };
    const clients = Number(args.clients);
    const requesterIds: number[] = [];
    const headers: { authorization: string }[] = [];
    for (let i = 0; i < clients; i++) {
      const email = `el-req-${i}@example.com`;
      const u = await createUser(ctx.db, {
        email,
        password,
        name: `Requester ${i}`,
        role: "requester",
        department_ids: [],
      });
      requesterIds.push(u.id);
      headers.push(await login(email));
    }
    // The backlog: tickets whose creation is fanned out to every operator (in-app + e-mail).
    const actors = await findActorsByIds(ctx.db, requesterIds);
    const eventIds: number[] = [];
    const ticketOf: number[] = [];
    for (let i = 0; i < Number(args.backlog); i++) {
      const outbox: TDomainEvent[] = [];
      const actor = actors[i % actors.length]!;
      const id = await ctx.db.transaction((tx) =>
        createTicket(tx, (e) => outbox.push(e), actor, {
          title: `Backlog ${i}`,
          description: "bench",
          attachment_ids: [],
        } as never),
      );
      if (i < clients) ticketOf.push(id);
      for (const e of outbox) if (e.type === "created" && e.eventId !== null) eventIds.push(e.eventId);
    }
    await ctx.jobs.sendMany(
      FAN_OUT_JOB,
      eventIds.map((eventId) => ({ data: { eventId }, singletonKey: `event-${eventId}` })),
    );
    out(`backlog: ${eventIds.length} fan-out jobs queued (${args.operators} operators each)`);

    let stop = false;
    const timed = async (list: number[], url: string, init?: RequestInit) => {
      const t0 = now();
      const res = await fetch(`${address}${url}`, init);
      await res.arrayBuffer();
      list.push(now() - t0);
    };
    // A probe is due every 200 ms; its latency counts from when it was due, so a stalled event
    // loop (the embedded database runs on it) shows up instead of silently delaying the probe.
    const probe = async (list: number[]) => {
      const start = now();
      for (let k = 0; !stop; k++) {
        const due = start + k * 200;
        if (due > now()) await new Promise((r) => setTimeout(r, due - now()));
        const res = await fetch(`${address}/api/health/`);
        await res.arrayBuffer();
        list.push(now() - due);
      }
    };

    // Phase 1: light load.
    const light: number[] = [];
    const p1 = probe(light);
    await new Promise((r) => setTimeout(r, Number(args.light) * 1000));
    stop = true;
    await p1;
    summary("light: health every 200 ms", light);

    // Phase 2: 8 clients of mixed requests, health probe alongside.
    stop = false;
    const health: number[] = [];
    const mixed: number[] = [];
    const p2 = probe(health);
    const client = async (i: number) => {
      const h = headers[i]!;
      const json = { ...h, "content-type": "application/json" };
      let n = 0;
      while (!stop) {
        switch (n++ % 4) {
          case 0:
            await timed(mixed, "/api/tickets/?limit=25", { headers: h });
            break;
          case 1:
            await timed(mixed, `/api/tickets/${ticketOf[i]}/`, { headers: h });
            break;
          case 2:
            await timed(mixed, "/api/messages/", {
              method: "POST",
              headers: json,
              body: JSON.stringify({ ticket_id: ticketOf[i], text: `reply ${n}` }),
            });
            break;
          default:
            await timed(mixed, "/api/notifications/?limit=20", { headers: h });
        }
      }
    };
    const runs = Array.from({ length: clients }, (_, i) => client(i));
    await new Promise((r) => setTimeout(r, Number(args.mixed) * 1000));
    stop = true;
    await Promise.all([p2, ...runs]);
    summary(`mixed: ${clients} clients, all requests`, mixed);
    summary("mixed: health every 200 ms", health);
    const { rows } = await ctx.database.executor.executeSql(
      "SELECT count(*)::int AS n FROM pgboss.job WHERE name LIKE 'notifications.%' AND state IN ('created','retry','active')",
    );
    out(
      `background: ${sink.count()} mails sent during the run, ${Number(rows[0]?.n ?? 0)} notification jobs still queued`,
    );
  } finally {
    await server?.close();
    await sink.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
    process.exit(1);
  },
);
