import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Issue 7: a PostgreSQL restart under load must not kill the server. This file runs its own
 * PostgreSQL cluster (so it can restart it without disturbing the shared test database) and
 * the real CLI as a child process (the bug was the process exiting).
 */
const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const cli = path.join(root, "server/src/cli.ts");
const tsx = path.join(root, "node_modules/.bin/tsx");
const PG_BIN = "/usr/lib/postgresql/15/bin";
const hasInitdb = existsSync(path.join(PG_BIN, "initdb"));
const isRoot = process.getuid?.() === 0;

const ADMIN = { email: "boss@example.com", password: "a-long-admin-pass-42" };
const REQUEST_TIMEOUT_MS = 10_000;

/** Runs a PostgreSQL tool as the postgres user (initdb and postgres refuse to run as root). */
const pgTool = (tool: string, args: string[]) =>
  isRoot
    ? run("runuser", ["-u", "postgres", "--", path.join(PG_BIN, tool), ...args])
    : run(path.join(PG_BIN, tool), args);

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type TAnswer = {
  at: number;
  kind: "create" | "reply" | "list" | "health";
  status: number | "timeout" | "network";
  retryAfter: string | null;
  code?: string;
  database?: string;
};

describe.skipIf(process.env.TEST_DB !== "postgres" || !hasInitdb)(
  "a PostgreSQL restart under load (needs TEST_DB=postgres and initdb)",
  () => {
    let work = "";
    let dataDir = "";
    let pgPort = 0;
    let server: ChildProcess | undefined;
    let serverExit: { code: number | null; signal: string | null } | undefined;
    let serverLog = "";
    let base = "";
    let databaseUrl = "";

    const pgCtl = (...args: string[]) =>
      pgTool("pg_ctl", [
        "-D",
        dataDir,
        "-l",
        path.join(work, "pg.log"),
        "-o",
        `-p ${pgPort} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off`,
        "-w",
        ...args,
      ]);

    beforeAll(async () => {
      work = mkdtempSync(path.join(tmpdir(), "helpdesk-pg-restart-"));
      chmodSync(work, 0o755);
      dataDir = path.join(work, "data");
      const appData = path.join(work, "app");
      if (isRoot) chownSync(work, Number((await run("id", ["-u", "postgres"])).stdout.trim()), -1);
      await pgTool("initdb", ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
      pgPort = await freePort();
      await pgCtl("start");
      databaseUrl = `postgres://postgres@127.0.0.1:${pgPort}/helpdesk`;
      const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${pgPort}/postgres` });
      await admin.connect();
      await admin.query("CREATE DATABASE helpdesk");
      await admin.end();

      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      server = spawn(tsx, [cli, "start"], {
        env: {
          PATH: process.env.PATH ?? "",
          DATA_DIR: appData,
          DATABASE_URL: databaseUrl,
          PORT: String(port),
          LOG_LEVEL: "warn",
          ADMIN_EMAIL: ADMIN.email,
          ADMIN_PASSWORD: ADMIN.password,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const keep = (d: Buffer) => {
        serverLog = (serverLog + d.toString()).slice(-2_000_000);
      };
      server.stdout?.on("data", keep);
      server.stderr?.on("data", keep);
      server.once("exit", (code, signal) => {
        serverExit = { code, signal };
      });
      for (let i = 0; i < 240 && !serverExit; i++) {
        const up = await fetch(`${base}/api/health/`).then(
          (r) => r.ok,
          () => false,
        );
        if (up) return;
        await sleep(250);
      }
      throw new Error(`the server did not start: ${JSON.stringify(serverExit)}\n${serverLog}`);
    });

    afterAll(async () => {
      if (server && !serverExit) {
        server.kill("SIGTERM");
        await Promise.race([new Promise((r) => server?.once("exit", r)), sleep(12_000)]);
        if (!serverExit) server.kill("SIGKILL");
      }
      if (dataDir) await pgTool("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "stop"]).catch(() => {});
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it("keeps serving: 503 with Retry-After while down, recovers within 5 s, loses no acknowledged write", {
      timeout: 90_000,
    }, async () => {
      const login = await fetch(`${base}/api/auth/login/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(ADMIN),
      });
      expect(login.status).toBe(200);
      const { access } = (await login.json()) as { access: string };
      const headers = { authorization: `Bearer ${access}`, "content-type": "application/json" };

      const answers: TAnswer[] = [];
      const created = new Map<string, number>();
      let stop = false;
      let keyCounter = 0;

      type TBody = { id?: number; error?: { code?: string }; database?: string };
      const call = async (
        kind: TAnswer["kind"],
        url: string,
        init: RequestInit = {},
      ): Promise<{ status: TAnswer["status"]; body: TBody }> => {
        const at = Date.now();
        try {
          const res = await fetch(`${base}${url}`, {
            ...init,
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          });
          const body = (await res.json().catch(() => ({}))) as TBody;
          answers.push({
            at,
            kind,
            status: res.status,
            retryAfter: res.headers.get("retry-after"),
            code: body.error?.code,
            database: body.database,
          });
          return { status: res.status, body };
        } catch (error) {
          const status = (error as Error).name === "TimeoutError" ? "timeout" : "network";
          answers.push({ at, kind, status, retryAfter: null });
          return { status, body: {} };
        }
      };

      const first = await call("create", "/api/tickets/", {
        method: "POST",
        headers,
        body: JSON.stringify({ title: "Replies go here" }),
      });
      expect(first.status).toBe(201);
      const replyTicket = first.body.id as number;

      const client = async (n: number) => {
        while (!stop) {
          keyCounter += 1;
          const key = `restart-${n}-${keyCounter}`;
          const res = await call("create", "/api/tickets/", {
            method: "POST",
            headers: { ...headers, "idempotency-key": key },
            body: JSON.stringify({
              title: `Load ticket ${key}`,
              description: "Created during a restart test",
            }),
          });
          if (res.status === 201 && typeof res.body.id === "number") created.set(key, res.body.id);
          await call("reply", "/api/messages/", {
            method: "POST",
            headers,
            body: JSON.stringify({ ticket_id: replyTicket, text: `reply from ${key}` }),
          });
          await call("list", "/api/tickets/?limit=10", { headers: { authorization: headers.authorization } });
          await sleep(20);
        }
      };
      const health = async () => {
        while (!stop) {
          await call("health", "/api/health/");
          await sleep(200);
        }
      };

      const load = [client(1), client(2), client(3), client(4), health()];
      await sleep(3000);
      const downAt = Date.now();
      await pgCtl("-m", "fast", "stop");
      await sleep(2000);
      await pgCtl("start");
      const backAt = Date.now();
      await sleep(8000);
      stop = true;
      await Promise.all(load);

      const summary = (list: TAnswer[]) => {
        const counts: Record<string, number> = {};
        for (const a of list) counts[`${a.kind} ${a.status}`] = (counts[`${a.kind} ${a.status}`] ?? 0) + 1;
        return counts;
      };
      const during = answers.filter((a) => a.at >= downAt && a.at < backAt);
      process.stdout.write(
        `db-restart: outage ${backAt - downAt} ms; during ${JSON.stringify(summary(during))}; all ${JSON.stringify(summary(answers))}\n`,
      );

      // The process survived the restart.
      expect(serverExit, serverLog).toBeUndefined();
      // No 500s and no hangs, ever; every failure is a 503 naming the database, with Retry-After.
      const failures = answers.filter((a) => a.status !== 200 && a.status !== 201);
      expect(failures.filter((a) => a.status !== 503)).toEqual([]);
      for (const a of failures) {
        expect(a.retryAfter).toMatch(/^\d+$/);
        if (a.kind !== "health") expect(a.code).toBe("service.database_unavailable");
      }
      expect(during.some((a) => a.status === 503 && a.kind !== "health")).toBe(true);
      // Health says the database is down, then up again.
      const healthDown = answers.filter((a) => a.kind === "health" && a.status === 503);
      expect(healthDown.length).toBeGreaterThan(0);
      expect(healthDown.every((a) => a.database === "down")).toBe(true);
      const lastHealth = answers.filter((a) => a.kind === "health").at(-1);
      expect(lastHealth?.status).toBe(200);
      // Within 5 s of the database being back, everything succeeds again.
      const late = answers.filter((a) => a.at >= backAt + 5000);
      expect(late.length).toBeGreaterThan(0);
      expect(late.filter((a) => a.status !== 200 && a.status !== 201)).toEqual([]);
      const recovered = answers.find((a) => a.at >= backAt && a.kind !== "health" && a.status !== 503);
      process.stdout.write(
        `db-restart: first success ${recovered ? recovered.at - backAt : "never"} ms after the database was back\n`,
      );

      // What the server logged (warnings and worse), for whoever reads the test output.
      const logged: Record<string, number> = {};
      for (const line of serverLog.split("\n")) {
        const entry = (() => {
          try {
            return JSON.parse(line) as { level?: number; msg?: string };
          } catch {
            return line.trim() ? { level: 0, msg: line.slice(0, 120) } : undefined;
          }
        })();
        if (entry) logged[`${entry.level} ${entry.msg}`] = (logged[`${entry.level} ${entry.msg}`] ?? 0) + 1;
      }
      process.stdout.write(`db-restart: server log ${JSON.stringify(logged)}\n`);
      // An outage is not a bug: nothing was logged as an unhandled rejection or a failed request.
      expect(Object.keys(logged).filter((k) => /bug|request failed|uncaught/.test(k))).toEqual([]);

      const check = new pg.Client({ connectionString: databaseUrl });
      await check.connect();
      try {
        // Background jobs paused during the outage and run again: jobs complete after the
        // database came back (the queue drains at the workers' own pace, so not all of them).
        let completedAfter = 0;
        for (let i = 0; i < 40 && completedAfter === 0; i++) {
          const { rows } = await check.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pgboss.job WHERE state = 'completed' AND completed_on > to_timestamp($1 / 1000.0)",
            [backAt],
          );
          completedAfter = rows[0]?.n ?? 0;
          if (completedAfter === 0) await sleep(500);
        }
        const jobs = await check.query(
          "SELECT name, state, created_on > to_timestamp($1 / 1000.0) AS after, count(*)::int AS n, max(completed_on) AS last FROM pgboss.job GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
          [backAt],
        );
        expect(completedAfter, JSON.stringify(jobs.rows)).toBeGreaterThan(0);
        // Every ticket acknowledged with 201 is stored.
        const ids = [...created.values()];
        const { rows } = await check.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM tickets WHERE id = ANY($1::int[])",
          [ids],
        );
        expect(rows[0]?.n).toBe(ids.length);
        expect(ids.length).toBeGreaterThan(10);
      } finally {
        await check.end();
      }
    });
  },
);
