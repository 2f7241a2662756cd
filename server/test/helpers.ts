import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TRole } from "@helpdesk/contracts";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import pg from "pg";
import { type Logger, pino } from "pino";
import { createServer, type TServer } from "../src/app.js";
import type { ChannelDriver } from "../src/channels/channel-driver.js";
import type { TInboundAutomation } from "../src/modules/conversations/conversations.inbound.js";
import { loadConfig, type TConfig } from "../src/platform/config.js";
import { openDatabase } from "../src/platform/db/index.js";

/** `TEST_DB=postgres` runs the suite against a real PostgreSQL; otherwise in-memory PGlite. */
export const TEST_DB = process.env.TEST_DB === "postgres" ? "postgres" : "pglite";
const PG_ADMIN_URL = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export type TTestServer = TServer & {
  app: FastifyInstance;
  config: TConfig;
  /** Creates a user directly (any role) and returns their id. */
  createUser(input: {
    role: TRole;
    email?: string;
    name?: string;
    password?: string;
    departmentIds?: number[];
  }): Promise<{
    id: number;
    email: string;
    password: string;
  }>;
  /** Signs in and returns headers carrying the access token. */
  login(email: string, password: string): Promise<{ authorization: string }>;
  /** createUser + login. */
  actor(
    role: TRole,
    departmentIds?: number[],
  ): Promise<{ id: number; email: string; headers: { authorization: string } }>;
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
};

/**
 * A real server on a fresh database for one test file: PGlite in memory, or a new PostgreSQL
 * database created for the file and dropped after. Jobs run inline unless `jobs: "pg-boss"`.
 */
export async function startTestServer(
  options: {
    env?: Record<string, string>;
    jobs?: "inline" | "pg-boss";
    logger?: Logger;
    drivers?: ChannelDriver[];
    automations?: TInboundAutomation[];
  } = {},
): Promise<TTestServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "helpdesk-test-"));
  let databaseUrl: string | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  if (TEST_DB === "postgres") {
    const name = `helpdesk_test_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    databaseUrl = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const config = loadConfig({
    NODE_ENV: "test",
    DATA_DIR: dataDir,
    APP_SECRET: "test-secret-that-is-long-enough-0123456789",
    LOG_LEVEL: "silent",
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...options.env,
  });
  const database = await openDatabase({
    databaseUrl: config.databaseUrl ?? "memory://",
    dataDir,
    poolSize: 5,
  });
  const server = await createServer(config, {
    logger: options.logger ?? pino({ level: "silent" }),
    database,
    jobs: options.jobs ?? "inline",
    drivers: options.drivers,
    automations: options.automations,
  });
  let counter = 0;
  const t: TTestServer = {
    ...server,
    config,
    inject: (o) => server.app.inject(o),
    async createUser(input) {
      counter += 1;
      const email = input.email ?? `${input.role}${counter}-${randomBytes(3).toString("hex")}@example.com`;
      const password = input.password ?? "correct-horse-battery";
      const { upsertAdmin } = await import("../src/modules/users/users.admin.js");
      const { createUser } = await import("../src/modules/users/users.usecases.js");
      if (input.role === "admin") {
        const id = await upsertAdmin(server.ctx.db, { email, password, name: input.name ?? "Admin" });
        return { id, email, password };
      }
      const user = await createUser(server.ctx.db, {
        email,
        password,
        name: input.name ?? `${input.role} ${counter}`,
        role: input.role,
        department_ids: input.departmentIds ?? [],
      });
      return { id: user.id, email, password };
    },
    async login(email, password) {
      const res = await server.app.inject({
        method: "POST",
        url: "/api/auth/login/",
        payload: { email, password },
      });
      if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
      return { authorization: `Bearer ${res.json().access}` };
    },
    async actor(role, departmentIds) {
      const u = await t.createUser({
        role,
        departmentIds: departmentIds ?? (role === "requester" ? [] : [1]),
      });
      return { id: u.id, email: u.email, headers: await t.login(u.email, u.password) };
    },
    async close() {
      await server.close();
      await database.close();
      await dropDatabase?.();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}

/** A public staff reply through `POST /api/messages/`, as the web sends it; answers the message id. */
export async function postStaffReply(
  s: Pick<TTestServer, "inject">,
  headers: Record<string, string>,
  ticketId: number,
  text: string,
): Promise<number> {
  const res = await s.inject({
    method: "POST",
    url: "/api/messages/",
    headers,
    payload: { ticket_id: ticketId, text },
  });
  if (res.statusCode !== 201) throw new Error(`reply refused: ${res.statusCode} ${res.body}`);
  return res.json().id;
}
