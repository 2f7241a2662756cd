/**
 * API benchmark: builds (or reuses) a data set, starts the real server as a child process and
 * measures with autocannon on 127.0.0.1. Results are printed, never asserted.
 *   tsx api.ts --db postgres|pglite [--tickets 100000] [--duration 10] [--reuse]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import hdr from "hdr-histogram-js";
import pg from "pg";
import { openDatabase } from "../server/src/platform/db/index.js";
import { BENCH_ADMIN, BENCH_PASSWORD, buildDataset } from "./build-dataset.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    db: { type: "string", default: "postgres" },
    tickets: { type: "string", default: "100000" },
    duration: { type: "string", default: "10" },
    port: { type: "string", default: "3900" },
    reuse: { type: "boolean", default: false },
    "pg-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
  },
});
const tickets = Number(values.tickets);
const duration = Number(values.duration);
const port = Number(values.port);
const base = `http://127.0.0.1:${port}`;
const out = (line: string) => process.stdout.write(`${line}\n`);

async function prepare(): Promise<{ env: Record<string, string> }> {
  if (values.db === "postgres") {
    const name = `helpdesk_bench_${tickets}`;
    const url = values["pg-url"]!.replace(/\/[^/]*$/, `/${name}`);
    const admin = new pg.Client({ connectionString: values["pg-url"] });
    await admin.connect();
    const exists = (await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount;
    if (!values.reuse || !exists) {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name}`);
      // Bulk inserts may outlast the app's statement timeout.
      const database = await openDatabase({
        databaseUrl: url,
        dataDir: path.join(here, "results"),
        pool: { statementTimeoutMs: 0 },
      });
      out(`building ${tickets} tickets in PostgreSQL…`);
      const ms = await buildDataset(database, tickets, () => true);
      out(`data set built in ${(ms / 1000).toFixed(1)} s`);
      await database.close();
    }
    await admin.end();
    return { env: { DATABASE_URL: url, DATA_DIR: path.join(here, "results", "pg-data") } };
  }
  const dataDir = path.join(here, "results", `pglite-${tickets}`);
  if (!values.reuse || !existsSync(dataDir)) {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    const database = await openDatabase({ databaseUrl: undefined, dataDir });
    out(`building ${tickets} tickets in PGlite…`);
    const ms = await buildDataset(database, tickets, () => true);
    out(`data set built in ${(ms / 1000).toFixed(1)} s`);
    await database.close();
  }
  return { env: { DATA_DIR: dataDir } };
}

async function startServer(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(here, "../server/dist/cli.js"), "start"], {
    env: {
      ...process.env,
      ...env,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      NODE_ENV: "production",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(`${base}/api/health/`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  child.kill();
  throw new Error("server did not start");
}

type TScenario = {
  name: string;
  connections: number;
  method?: "GET" | "POST";
  body?: string;
  path: () => string;
};

async function measure(token: string, s: TScenario) {
  const latencies = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000,
    numberOfSignificantValueDigits: 3,
  });
  const result = await autocannon({
    url: base,
    connections: s.connections,
    duration,
    histograms: { latencies },
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    requests: [
      {
        setupRequest: (req) => ({ ...req, method: s.method ?? "GET", path: s.path(), body: s.body }),
      },
    ],
  } as autocannon.Options);
  const p = (q: number) => latencies.getValueAtPercentile(q);
  const non2xx = result.non2xx;
  out(
    `${s.name.padEnd(34)} ${String(Math.round(result.requests.average)).padStart(7)} req/s   p50 ${p(50)} ms   p95 ${p(95)} ms   p99 ${p(99)} ms${non2xx ? `   non-2xx ${non2xx}` : ""}`,
  );
  return { name: s.name, rps: result.requests.average, p50: p(50), p95: p(95), p99: p(99), non2xx };
}

async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

const { env } = await prepare();
const server = await startServer(env);
try {
  await new Promise((r) => setTimeout(r, 3000));
  out(
    `idle RSS of the server: ${(await rssOf(server.pid!)).toFixed(0)} MB (${values.db}, ${tickets} tickets)`,
  );
  const login = await fetch(`${base}/api/auth/login/`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: BENCH_ADMIN, password: BENCH_PASSWORD }),
  });
  const { access } = (await login.json()) as { access: string };
  const words = [
    "принтер",
    "почта",
    "VPN",
    "password",
    "invoice",
    "монитор",
    "доступ",
    "delivery",
    "прентер",
    "кондиционер",
  ];
  let i = 0;
  const randomId = () => 1 + Math.floor(Math.random() * tickets);
  out(`autocannon, ${duration} s each, 127.0.0.1:`);
  const results = [];
  results.push(
    await measure(access, {
      name: "create ticket (8 clients)",
      connections: 8,
      method: "POST",
      body: JSON.stringify({
        title: "Не работает сканер",
        description: "Benchmark ticket: scanner is broken",
      }),
      path: () => "/api/tickets/",
    }),
  );
  // Latency at light load (1 client) and throughput under load (8 clients) for each read.
  const reads: { name: string; path: () => string }[] = [
    { name: "get ticket by id", path: () => `/api/tickets/${randomId()}/` },
    {
      name: "filtered list, first page",
      path: () =>
        `/api/tickets/?status=open,in_progress&queue_id=${1 + (i++ % 5)}&priority_id=${1 + (i % 4)}`,
    },
    {
      name: "full-text search",
      path: () => `/api/tickets/?q=${encodeURIComponent(words[i++ % words.length]!)}`,
    },
  ];
  for (const read of reads) {
    for (const connections of [1, 8]) {
      const name = `${read.name} (${connections} client${connections > 1 ? "s" : ""})`;
      results.push(await measure(access, { name, connections, path: read.path }));
    }
  }
  out(`RSS after load: ${(await rssOf(server.pid!)).toFixed(0)} MB`);
  out(JSON.stringify({ db: values.db, tickets, results }));
} finally {
  server.kill("SIGTERM");
}
