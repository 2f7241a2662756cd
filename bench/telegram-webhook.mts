/**
 * Telegram webhook benchmark (printed, never asserted), on PostgreSQL:
 *  1. Inbound: updates POSTed to the bot's webhook as Telegram does (40 connections at once,
 *     the secret header), from many chats; each is a private message that joins its chat's
 *     request (inbox mode), so every update becomes a stored ticket message. Prints the POST
 *     latency, the rate the webhook took them at, and updates per second from the first POST to
 *     the last message stored.
 *  2. Replies: public staff replies POSTed through the API one after another; prints the time
 *     from sending the POST to the (fake) Bot API receiving its sendMessage.
 * Two processes: the server (web and worker roles, as `npm start` runs it, jobs in pg-boss, the
 * channel runtime holding the bot) in a child, and this one, which is Telegram: a fake Bot API
 * (server/test/telegram/fake-bot-api.ts) and the load.
 *   tsx telegram-webhook.mts [--chats 500] [--updates 10000] [--connections 40] [--replies 200]
 *     [--rate 0] [--split] [--intake-only] [--count-queries] [--profile <dir>] [--pg-url …]
 * `--rate` paces the POSTs (per second; 0: as fast as they are answered). `--split` first measures
 * the two halves alone: the intake with the bot stopped, then the drain once it is started.
 * `--intake-only` measures only the former. `--count-queries` prints the server's SQL per update.
 */
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { pino } from "pino";
import { createServer } from "../server/src/app.js";
import { webhookPathOf } from "../server/src/channels/telegram-bot/telegram.webhook.js";
import { loadConfig } from "../server/src/platform/config.js";
import { startFakeBotApi } from "../server/test/telegram/fake-bot-api.js";

const out = (line: string) => process.stdout.write(`${line}\n`);
const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const spread = (sorted: number[]) =>
  `p50 ${fmt(percentile(sorted, 50))}, p95 ${fmt(percentile(sorted, 95))}, p99 ${fmt(percentile(sorted, 99))}, max ${fmt(sorted.at(-1) ?? Number.NaN)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const { values: args } = parseArgs({
  options: {
    chats: { type: "string", default: "500" },
    updates: { type: "string", default: "10000" },
    connections: { type: "string", default: "40" },
    replies: { type: "string", default: "200" },
    /** Also measure the two halves alone: intake with the bot stopped, then the drain once started. */
    split: { type: "boolean", default: false },
    /** Only the intake: the bot stopped. */
    "intake-only": { type: "boolean", default: false },
    /** Updates POSTed per second (0: as fast as the webhook takes them). */
    rate: { type: "string", default: "0" },
    /** Count the server's SQL statements by text and print the most frequent when it stops. */
    "count-queries": { type: "boolean", default: false },
    /** Write a V8 CPU profile of the server process into this directory. */
    profile: { type: "string" },
    role: { type: "string", default: "bench" },
    "pg-url": {
      type: "string",
      default: process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    },
  },
});
const CHATS = Number(args.chats);
const UPDATES = Number(args.updates);
const CONNECTIONS = Number(args.connections);
const REPLIES = Number(args.replies);
const TOKEN = `555555:${"B".repeat(35)}`;
const ADMIN = { email: "bench-admin@example.com", password: "Bench-Telegram-8431!" };
const here = fileURLToPath(import.meta.url);

/** CPU time this process has used (user + system), in ms. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** CPU time used by the PostgreSQL backends serving this database (Linux /proc), in ms. */
async function postgresCpuMs(db: pg.Client) {
  const { rows } = await db.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()",
  );
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // A backend that ended in between.
    }
  }
  return ticks * 10;
}

/** The child: the whole server on a local port. */
async function runServer() {
  const send = (m: unknown) => process.send?.(m);
  const config = loadConfig(JSON.parse(process.env.BENCH_CONFIG ?? "{}") as Record<string, string>);
  const counts = new Map<string, number>();
  const durations = new Map<string, number>();
  if (process.env.BENCH_COUNT_QUERIES) {
    const original = pg.Client.prototype.query as (...a: unknown[]) => unknown;
    pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
      const q = a[0] as string | { text?: string };
      const text = (typeof q === "string" ? q : (q?.text ?? "")).replace(/\s+/g, " ").slice(0, 140);
      counts.set(text, (counts.get(text) ?? 0) + 1);
      const t = performance.now();
      const result = original.apply(this, a);
      const took = () => durations.set(text, (durations.get(text) ?? 0) + performance.now() - t);
      if (result instanceof Promise) result.then(took, took);
      return result;
    } as typeof pg.Client.prototype.query;
    process.on("message", (m: { kind?: string }) => {
      if (m.kind !== "queries") return;
      const top = [...counts].sort((x, y) => y[1] - x[1]).slice(0, 40);
      send({ kind: "queries", top: top.map(([text, n]) => [text, n, durations.get(text) ?? 0]) });
      counts.clear();
      durations.clear();
    });
  }
  const server = await createServer(config, { logger: pino({ level: "warn" }), jobs: "pg-boss" });
  await server.app.listen({ port: 0, host: "127.0.0.1" });
  const address = server.app.server.address();
  process.on("message", (m: { kind?: string }) => {
    if (m.kind === "cpu") send({ kind: "cpu", ms: cpuMs() });
    if (m.kind === "stop") void server.close().then(() => process.exit(0));
  });
  send({ kind: "ready", port: typeof address === "object" && address ? address.port : 0 });
  return new Promise<never>(() => {});
}

function forkServer(env: Record<string, string>) {
  const child = fork(here, ["--role", "server"], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv: [
      ...process.execArgv,
      ...(args.profile ? ["--cpu-prof", `--cpu-prof-dir=${args.profile}`] : []),
    ],
    env: {
      ...process.env,
      BENCH_CONFIG: JSON.stringify(env),
      ...(args["count-queries"] ? { BENCH_COUNT_QUERIES: "1" } : {}),
    },
  });
  const ready = new Promise<number>((resolve, reject) => {
    child.on("message", (m: { kind?: string; port?: number }) => {
      if (m.kind === "ready") resolve(m.port ?? 0);
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { child, ready };
}

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

/** The statements the server sent since the last ask, most frequent first (with --count-queries). */
const queriesOf = (child: ChildProcess) =>
  new Promise<[string, number, number][]>((resolve) => {
    const onMessage = (m: { kind?: string; top?: [string, number, number][] }) => {
      if (m.kind !== "queries") return;
      child.off("message", onMessage);
      resolve(m.top ?? []);
    };
    child.on("message", onMessage);
    child.send({ kind: "queries" });
  });

/** A private message of chat `chat`, as Telegram pushes it. */
const updateOf = (updateId: number, chat: number, messageId: number, text: string) => ({
  update_id: updateId,
  message: {
    message_id: messageId,
    date: Math.floor(Date.now() / 1000),
    from: { id: chat, is_bot: false, first_name: `Client ${chat}`, language_code: "en" },
    chat: { id: chat, type: "private", first_name: `Client ${chat}` },
    text,
  },
});

/**
 * POSTs every body to the URL over `connections` at once, as fast as they are answered or (with
 * `rate`) each at its due time; answers each POST's latency, counted from its due time.
 */
async function postAll(
  url: string,
  headers: Record<string, string>,
  bodies: string[],
  connections: number,
  rate = 0,
) {
  const latencies: number[] = [];
  let next = 0;
  let refused = 0;
  const start = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= bodies.length) return;
      const due = rate > 0 ? start + (i * 1000) / rate : performance.now();
      if (due > performance.now()) await sleep(due - performance.now());
      const t = rate > 0 ? due : performance.now();
      const res = await fetch(url, { method: "POST", headers, body: bodies[i] });
      await res.arrayBuffer();
      latencies.push(performance.now() - t);
      if (res.status !== 200) refused += 1;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  if (refused > 0) throw new Error(`${refused} updates were not answered 200`);
  return latencies.sort((a, b) => a - b);
}

/** Rows written per table and transactions committed so far (PostgreSQL's statistics). */
async function writeStats(db: pg.Client) {
  const { rows } = await db.query<{ name: string; n: number }>(
    `SELECT schemaname || '.' || relname AS name, (n_tup_ins + n_tup_upd + n_tup_del)::int AS n
       FROM pg_stat_all_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`,
  );
  const { rows: tx } = await db.query<{ n: number }>(
    "SELECT (xact_commit + xact_rollback)::int AS n FROM pg_stat_database WHERE datname = current_database()",
  );
  return { tables: new Map(rows.map((r) => [r.name, Number(r.n)])), transactions: Number(tx[0]?.n ?? 0) };
}

/** What PostgreSQL did per update between two writeStats (its counters lag by up to a second). */
function describeWrites(before: Awaited<ReturnType<typeof writeStats>>, after: typeof before, n: number) {
  const per = [...after.tables]
    .map(([name, v]) => [name, (v - (before.tables.get(name) ?? 0)) / n] as const)
    .filter(([, v]) => v >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([name, v]) => `${name.replace(/^public\./, "")} ${v.toFixed(1)}`);
  return `${((after.transactions - before.transactions) / n).toFixed(1)} transactions per update; rows written per update: ${per.join(", ")}`;
}

async function countReplies(db: pg.Client) {
  const { rows } = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM inbound_items WHERE channel = 'telegram' AND status = 'reply'",
  );
  return Number(rows[0]?.n ?? 0);
}

/** The time the last reply message was stored (by the database's clock) and how many there are. */
async function lastReply(db: pg.Client) {
  const { rows } = await db.query<{ at: Date; n: number }>(
    "SELECT max(created_at) AS at, count(*)::int AS n FROM inbound_items WHERE channel = 'telegram' AND status = 'reply'",
  );
  return { at: new Date(rows[0]!.at).getTime(), n: Number(rows[0]!.n) };
}

async function main() {
  const dataDir = mkdtempSync(path.join(tmpdir(), "helpdesk-tg-bench-"));
  const name = `helpdesk_tgbench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: args["pg-url"] });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const databaseUrl = args["pg-url"]!.replace(/\/[^/]*$/, `/${name}`);
  const fake = await startFakeBotApi();
  fake.addBot(TOKEN, "bench_bot");
  const env: Record<string, string> = {
    NODE_ENV: "production",
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    APP_SECRET: randomBytes(32).toString("hex"),
    DATABASE_URL: databaseUrl,
    PUBLIC_URL: "https://helpdesk.bench.example",
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_BOT_MODE: "inbox",
    TELEGRAM_API_ROOT: fake.url,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
  };
  const server = forkServer(env);
  const db = new pg.Client({ connectionString: databaseUrl });
  try {
    const port = await server.ready;
    await db.connect();
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 600 && !fake.webhookOf(TOKEN).secret; i++) await sleep(50);
    const secret = fake.webhookOf(TOKEN).secret;
    if (!secret) throw new Error("the receiver did not set the webhook");
    const { rows: accounts } = await db.query<{ id: number }>(
      "SELECT id FROM channel_accounts WHERE kind = 'telegram'",
    );
    const accountId = Number(accounts[0]!.id);
    const url = `${base}${webhookPathOf(accountId)}`;
    const headers = { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret };
    const login = await fetch(`${base}/api/auth/login/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(ADMIN),
    });
    if (login.status !== 200) throw new Error(`login failed: ${login.status}`);
    const authorization = `Bearer ${((await login.json()) as { access: string }).access}`;
    out(
      `server: PostgreSQL, web + worker in one process; ${CHATS} chats, ${UPDATES} updates, ${CONNECTIONS} connections`,
    );

    // Updates of CHATS chats in turn; each chat's first message makes its request, the rest join it.
    let updateId = 10_000;
    let sent = 0;
    const nextBodies = (n: number) =>
      Array.from({ length: n }, () => {
        const i = sent++;
        const chat = 1_000_000 + (i % CHATS);
        return JSON.stringify(updateOf(++updateId, chat, 1 + Math.floor(i / CHATS), `Bench message ${i}`));
      });
    await postAll(url, headers, nextBodies(CHATS), CONNECTIONS);
    for (let i = 0; i < 1200; i++) {
      const { rows } = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM inbound_items WHERE channel = 'telegram' AND status = 'ticket'",
      );
      if (Number(rows[0]?.n) >= CHATS) break;
      await sleep(100);
    }
    await sleep(1000);
    /** Waits until `n` reply messages are stored; answers when the last one was. */
    const storedBy = async (n: number, since: number) => {
      while ((await countReplies(db)) < n && Date.now() - since < 600_000) await sleep(100);
      return lastReply(db);
    };
    const switchBot = async (action: "start" | "stop") => {
      const res = await fetch(`${base}/api/admin/channels/accounts/${accountId}/${action}/`, {
        method: "POST",
        headers: { authorization },
      });
      if (res.status !== 200) throw new Error(`${action} failed: ${res.status}`);
    };

    const cpuOf = async () => ({ server: await childCpuMs(server.child), postgres: await postgresCpuMs(db) });
    const perUpdate = (a: { server: number; postgres: number }, b: typeof a, n: number) =>
      `CPU per update: server ${((b.server - a.server) / n).toFixed(2)} ms, PostgreSQL ${((b.postgres - a.postgres) / n).toFixed(2)} ms`;
    const untilStopped = async () => {
      for (let i = 0; i < 200; i++) {
        const { rows } = await db.query<{ state: string }>(
          "SELECT state FROM channel_accounts WHERE id = $1",
          [accountId],
        );
        if (rows[0]?.state === "stopped") return;
        await sleep(100);
      }
    };
    if (args["intake-only"]) {
      await switchBot("stop");
      await untilStopped();
      const rate = Number(args.rate);
      const bodies = nextBodies(UPDATES);
      const t0 = Date.now();
      const latencies = await postAll(url, headers, bodies, CONNECTIONS, rate);
      const took = Date.now() - t0;
      out(
        `intake alone (bot stopped${rate > 0 ? `, offered ${rate}/s` : ""}): ${UPDATES} updates in ${fmt(took)} = ${(UPDATES / (took / 1000)).toFixed(0)} updates/s; POST latency ${spread(latencies)}`,
      );
      return;
    }
    if (args.split) {
      await switchBot("stop");
      await untilStopped();
      const bodies = nextBodies(UPDATES);
      const cpu0 = await cpuOf();
      const t0 = Date.now();
      const latencies = await postAll(url, headers, bodies, CONNECTIONS);
      const took = Date.now() - t0;
      const cpu1 = await cpuOf();
      out(
        `intake alone (bot stopped): ${UPDATES} updates in ${fmt(took)} = ${(UPDATES / (took / 1000)).toFixed(0)} updates/s; POST latency ${spread(latencies)}; ${perUpdate(cpu0, cpu1, UPDATES)}`,
      );
      const before = await countReplies(db);
      const t1 = Date.now();
      await switchBot("start");
      const done = await storedBy(before + UPDATES, t1);
      const cpu2 = await cpuOf();
      out(
        `processing alone (started with ${UPDATES} stored): last stored ${fmt(done.at - t1)} after the start = ${(UPDATES / ((done.at - t1) / 1000)).toFixed(0)} updates/s; ${perUpdate(cpu1, cpu2, UPDATES)}`,
      );
      await sleep(1000);
    }

    const bodies = nextBodies(UPDATES);
    const before = await countReplies(db);
    if (args["count-queries"]) await queriesOf(server.child);
    const writesBefore = await writeStats(db);
    const cpuBefore = {
      server: await childCpuMs(server.child),
      postgres: await postgresCpuMs(db),
      bench: cpuMs(),
    };
    const started = Date.now();
    const postLatencies = await postAll(url, headers, bodies, CONNECTIONS, Number(args.rate));
    const posted = Date.now();
    const last = await storedBy(before + UPDATES, started);
    const cpuAfter = {
      server: await childCpuMs(server.child),
      postgres: await postgresCpuMs(db),
      bench: cpuMs(),
    };
    await sleep(1000);
    const writesAfter = await writeStats(db);
    const { rows: statuses } = await db.query<{ status: string; n: number }>(
      "SELECT status, count(*)::int AS n FROM telegram_updates GROUP BY status ORDER BY status",
    );
    out(
      `webhook POST latency${Number(args.rate) > 0 ? ` (offered ${args.rate}/s)` : ""}: ${spread(postLatencies)}`,
    );
    out(
      `webhook took ${UPDATES} updates in ${fmt(posted - started)} (${(UPDATES / ((posted - started) / 1000)).toFixed(0)} updates/s)`,
    );
    out(
      `stored messages: ${last.n - before} of ${UPDATES}; last ${fmt(last.at - posted)} after the last POST; ` +
        `first POST → last message: ${fmt(last.at - started)} = **${(UPDATES / ((last.at - started) / 1000)).toFixed(0)} updates/s**`,
    );
    out(`telegram_updates: ${statuses.map((r) => `${r.status} ${r.n}`).join(", ")}`);
    const used = (k: keyof typeof cpuAfter) => ((cpuAfter[k] - cpuBefore[k]) / 1000).toFixed(1);
    out(
      `CPU used: server ${used("server")} s, PostgreSQL ${used("postgres")} s, Telegram (fake API + load) ${used("bench")} s; ` +
        `${((cpuAfter.server - cpuBefore.server + cpuAfter.postgres - cpuBefore.postgres) / UPDATES).toFixed(2)} ms server+db per update`,
    );
    out(describeWrites(writesBefore, writesAfter, UPDATES));
    if (args["count-queries"]) {
      const top = await queriesOf(server.child);
      const total = top.reduce((n, [, c]) => n + c, 0);
      out(
        `SQL statements per update (top 40 kinds: ${(total / UPDATES).toFixed(1)}), and their mean time (waits included):`,
      );
      for (const [text, n, ms] of top)
        out(`  ${(n / UPDATES).toFixed(2).padStart(6)}  ${(ms / n).toFixed(2).padStart(6)} ms  ${text}`);
    }

    // Replies: one at a time, to requests of different chats, once the inbound work is done.
    await sleep(1000);
    const { rows: ticketRows } = await db.query<{ ticket_id: number }>(
      "SELECT ticket_id FROM inbound_items WHERE channel = 'telegram' AND status = 'ticket' ORDER BY id",
    );
    const arrivals = new Map<string, number>();
    const stop = fake.onCall((call) => {
      if (call.method === "sendMessage") arrivals.set(String(call.params.text).split("\n").at(-1)!, call.at);
    });
    const replyLatencies: number[] = [];
    for (let k = 0; k < REPLIES; k++) {
      const ticketId = Number(ticketRows[k % ticketRows.length]!.ticket_id);
      const text = `bench reply ${k}`;
      const t = Date.now();
      const res = await fetch(`${base}/api/messages/`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization },
        body: JSON.stringify({ ticket_id: ticketId, text }),
      });
      if (res.status !== 201) throw new Error(`reply refused: ${res.status} ${await res.text()}`);
      for (let i = 0; i < 5000 && !arrivals.has(text); i++) await sleep(1);
      const at = arrivals.get(text);
      if (at === undefined) throw new Error(`reply ${k} never reached sendMessage`);
      replyLatencies.push(at - t);
      await sleep(20);
    }
    stop();
    replyLatencies.sort((a, b) => a - b);
    out(
      `staff reply POST → sendMessage at the Bot API (${REPLIES} one at a time): ${spread(replyLatencies)}`,
    );
  } finally {
    await db.end().catch(() => {});
    const exited = new Promise((r) => server.child.once("exit", r));
    server.child.send({ kind: "stop" });
    await Promise.race([exited, sleep(10_000)]);
    server.child.kill();
    await fake.close();
    const c = new pg.Client({ connectionString: args["pg-url"] });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

(args.role === "bench" ? main() : runServer()).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
    process.exit(1);
  },
);
