/**
 * Web render benchmark: with a 100k-ticket data set (PostgreSQL, reused when it exists), starts the
 * built server, signs in as the bench admin through the API and measures in headless Chromium the
 * time from navigation start to the first page of rows (ticket list) / cards (board) on screen.
 * Also prints the gzipped size of the JavaScript the app's index.html loads up front.
 *   npm run build && tsx web-render.ts [--tickets 100000] [--runs 5] [--port 3910] [--rebuild]
 * Results are printed, never asserted; the server's output goes to results/web-render-server.log. The server is stopped at the end (and on a time-out).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { type Browser, chromium } from "@playwright/test";
import pg from "pg";
import { openDatabase } from "../server/src/platform/db/index.js";
import { BENCH_ADMIN, BENCH_PASSWORD, buildDataset } from "./build-dataset.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    tickets: { type: "string", default: "100000" },
    runs: { type: "string", default: "5" },
    port: { type: "string", default: "3910" },
    rebuild: { type: "boolean", default: false },
    "pg-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
    chromium: { type: "string", default: process.env.E2E_CHROMIUM ?? "/usr/bin/chromium" },
    "time-limit": { type: "string", default: "600" },
    verbose: { type: "boolean", default: false },
  },
});
const tickets = Number(values.tickets);
const runs = Number(values.runs);
const port = Number(values.port);
const base = `http://127.0.0.1:${port}`;
const TARGET_MS = 1000;
const out = (line: string) => process.stdout.write(`${line}\n`);

/** Reuses `helpdesk_bench_<N>` when it exists (like `tsx api.ts --reuse`), else builds it. */
async function prepareDatabase(): Promise<string> {
  const name = `helpdesk_bench_${tickets}`;
  const url = values["pg-url"].replace(/\/[^/]*$/, `/${name}`);
  const admin = new pg.Client({ connectionString: values["pg-url"] });
  await admin.connect();
  try {
    const exists = (await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount;
    if (values.rebuild || !exists) {
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
    } else {
      out(`reusing database ${name}`);
    }
  } finally {
    await admin.end();
  }
  return url;
}

async function startServer(databaseUrl: string): Promise<ChildProcess> {
  mkdirSync(path.join(here, "results"), { recursive: true });
  const log = openSync(path.join(here, "results", "web-render-server.log"), "w");
  const child = spawn(process.execPath, [path.join(here, "../server/dist/cli.js"), "start"], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      DATA_DIR: path.join(here, "results", "pg-data"),
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      NODE_ENV: "production",
    },
    stdio: ["ignore", log, log],
  });
  for (let i = 0; i < 120; i++) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${base}/api/health/`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  child.kill();
  throw new Error("server did not start; see results/web-render-server.log");
}

/** Sum of the gzip sizes of the scripts index.html loads up front (entry + modulepreloads). */
function firstLoadJs(): { files: number; raw: number; gzip: number } {
  const dist = path.join(here, "../web/dist");
  const html = readFileSync(path.join(dist, "index.html"), "utf8");
  const srcs = new Set<string>();
  for (const m of html.matchAll(/<script[^>]+src="([^"]+\.js)"/g)) srcs.add(m[1]!);
  for (const m of html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"/g)) srcs.add(m[1]!);
  let raw = 0;
  let gzip = 0;
  for (const src of srcs) {
    const body = readFileSync(path.join(dist, src.replace(/^\//, "")));
    raw += body.length;
    gzip += gzipSync(body, { level: 9 }).length;
  }
  return { files: srcs.size, raw, gzip };
}

type TPage = { name: string; path: string; ready: string };

const PAGES: TPage[] = [
  {
    name: "ticket list (/tickets)",
    path: "/tickets",
    // A row with a ticket link is laid out.
    ready: `(() => {
      const link = document.querySelector('table tbody tr a[href^="/tickets/"]');
      return link && link.getBoundingClientRect().height > 0;
    })()`,
  },
  {
    name: "board (/board)",
    path: "/board",
    // Every one of the four columns shows its first cards.
    ready: `(() => {
      const columns = document.querySelectorAll('section[aria-labelledby^="board-col-"]');
      if (columns.length !== 4) return false;
      for (const column of columns) {
        const card = column.querySelector('[aria-roledescription="draggable ticket"]');
        if (!card || card.getBoundingClientRect().height === 0) return false;
      }
      return true;
    })()`,
  },
];

const LONG_TASKS = `
  window.__long = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__long.push("long task " + e.startTime.toFixed(0) + "+" + e.duration.toFixed(0));
  }).observe({ type: "longtask", buffered: true });
`;
const TIMINGS = `(() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource").map(
    (r) => r.name.replace(location.origin, "") + " " + r.startTime.toFixed(0) + "→" + r.responseEnd.toFixed(0),
  );
  return ["DOMContentLoaded " + (nav ? nav.domContentLoadedEventEnd.toFixed(0) : "?"), ...resources, ...(window.__long || [])];
})()`;

/** One cold load in a fresh context: ms from navigation start to the ready condition, in-page clock. */
async function measureOnce(browser: Browser, cookies: Awaited<ReturnType<typeof signIn>>, page: TPage) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US" });
  try {
    await context.addCookies(cookies);
    // Skip the first-visit tips; in verbose mode also record long tasks (browser-side code as text:
    // this workspace has no DOM types).
    await context.addInitScript(`
      for (const role of ["requester", "executor", "operator", "admin"]) {
        localStorage.setItem("hd.onboarding." + role, "true");
      }
      ${values.verbose ? LONG_TASKS : ""}
    `);
    const tab = await context.newPage();
    await tab.goto(`${base}${page.path}`, { waitUntil: "commit", timeout: 30_000 });
    const handle = await tab.waitForFunction(`${page.ready} ? performance.now() : false`, undefined, {
      polling: "raf",
      timeout: 30_000,
    });
    const ms = Number(await handle.jsonValue());
    if (values.verbose) {
      const timings = (await tab.evaluate(TIMINGS)) as string[];
      out(`    ${page.path} ${ms.toFixed(0)} ms:\n      ${timings.join("\n      ")}`);
    }
    return ms;
  } finally {
    await context.close();
  }
}

async function signIn(browser: Browser) {
  const context = await browser.newContext();
  try {
    const response = await context.request.post(`${base}/api/auth/login/`, {
      data: { email: BENCH_ADMIN, password: BENCH_PASSWORD },
    });
    if (!response.ok()) throw new Error(`sign-in failed: ${response.status()} ${await response.text()}`);
    return await context.cookies();
  } finally {
    await context.close();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const js = firstLoadJs();
out(
  `first-load JS: ${js.files} files, ${(js.raw / 1024).toFixed(1)} KB raw, ${(js.gzip / 1024).toFixed(1)} KB gzipped (budget 250 KB)`,
);

const databaseUrl = await prepareDatabase();
const server = await startServer(databaseUrl);
const deadline = setTimeout(() => {
  out("time limit reached: stopping");
  server.kill("SIGTERM");
  process.exit(2);
}, Number(values["time-limit"]) * 1000);
let browser: Browser | undefined;
let failed = false;
try {
  browser = await chromium.launch({
    executablePath: values.chromium,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
  });
  const cookies = await signIn(browser);
  // One warm-up load so the server's first-query costs (pool, plans) do not count.
  for (const page of PAGES) await measureOnce(browser, cookies, page);
  out(`${runs} cold loads each (fresh browser context), 1280×900, ${tickets} tickets:`);
  for (const page of PAGES) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await measureOnce(browser, cookies, page));
    const m = median(times);
    const max = Math.max(...times);
    failed ||= max >= TARGET_MS;
    out(
      `  ${page.name.padEnd(24)} median ${m.toFixed(0)} ms, max ${max.toFixed(0)} ms ` +
        `[${times.map((t) => t.toFixed(0)).join(", ")}] ${max < TARGET_MS ? "< 1 s ✓" : "≥ 1 s ✗"}`,
    );
  }
} finally {
  clearTimeout(deadline);
  await browser?.close();
  server.kill("SIGTERM");
  await new Promise((r) => {
    if (server.exitCode !== null) r(undefined);
    else server.once("exit", r);
  });
}
out(failed ? "target missed (see max above)" : "target met: first rows/cards under 1 s");
