import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { drizzle as drizzlePg, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { createPriorityGate } from "./priority.js";
import * as schema from "./schema/index.js";

export { schema };
/** The drizzle database, whichever driver is underneath. */
export type Db = NodePgDatabase<typeof schema>;
/** A transaction or the database: use-cases accept either so they can be composed. */
export type DbOrTx = Db | Parameters<Parameters<Db["transaction"]>[0]>[0];

/** Runs raw SQL; used by pg-boss and health checks. */
export type SqlExecutor = {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
};

export type Database = {
  kind: "pglite" | "postgres";
  db: Db;
  executor: SqlExecutor;
  /** Applies the committed migrations (see migrateDatabase). */
  migrate(): Promise<void>;
  /**
   * Runs `work` while no other instance on this database runs its own (PostgreSQL: a session
   * advisory lock). For start-up steps that are not safe to race, such as pg-boss creating its
   * schema when several processes start on a fresh database at once.
   */
  serialised<T>(work: () => Promise<T>): Promise<T>;
  /**
   * PostgreSQL only: calls `onMessage` with the payload of every NOTIFY on `channel`, from any
   * process, over a connection of its own that is opened again (with backoff) when it drops.
   * Returns a function that stops listening.
   */
  listen?(channel: string, onMessage: (payload: string) => void): () => Promise<void>;
  close(): Promise<void>;
};

const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../migrations");

/** PostgreSQL pool settings (DATABASE_POOL_* and DATABASE_*_TIMEOUT_MS; see config.ts). */
export type TPoolOptions = {
  /** Most connections open at once. */
  max: number;
  /**
   * Connections kept open when idle: every new connection loads the Russian full-text
   * dictionary (~33 ms on its first search), so a warm few are worth keeping.
   */
  min: number;
  /** A request waits at most this long for a connection, then fails (503) instead of hanging. */
  connectTimeoutMs: number;
  /** Idle connections above `min` are closed after this long. */
  idleTimeoutMs: number;
  /** PostgreSQL cancels a statement that runs longer (statement_timeout); 0 turns it off. */
  statementTimeoutMs: number;
};

export const DEFAULT_POOL_OPTIONS: TPoolOptions = {
  max: 10,
  min: 2,
  connectTimeoutMs: 5000,
  idleTimeoutMs: 300_000,
  statementTimeoutMs: 30_000,
};

/**
 * Opens the database: PGlite in `<dataDir>/pgdata` when no URL is given (or in memory with
 * `memory://`), otherwise PostgreSQL through a pg pool. `onConnectionError` hears about
 * connections the database dropped (a restart): the pool replaces them, nothing else to do.
 */
export async function openDatabase(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  poolSize?: number;
  pool?: Partial<TPoolOptions>;
  onConnectionError?: (error: Error) => void;
}): Promise<Database> {
  if (!options.databaseUrl) {
    const dir = path.join(options.dataDir, "pgdata");
    mkdirSync(dir, { recursive: true });
    const release = lockDataDir(path.join(options.dataDir, "pgdata.lock"));
    const database = await openPglite(dir).catch((error: unknown) => {
      release();
      throw error;
    });
    return {
      ...database,
      async close() {
        await database.close();
        release();
      },
    };
  }
  if (options.databaseUrl === "memory://") return openPglite(undefined);
  const databaseUrl = options.databaseUrl;
  const settings = { ...DEFAULT_POOL_OPTIONS, ...options.pool };
  if (options.poolSize !== undefined) settings.max = options.poolSize;
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: settings.max,
    min: Math.min(settings.min, settings.max),
    idleTimeoutMillis: settings.idleTimeoutMs,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    // Notices a database host that vanished without closing the socket.
    keepAlive: true,
    ...(settings.statementTimeoutMs > 0 ? { statement_timeout: settings.statementTimeoutMs } : {}),
  });
  const onConnectionError = (error: Error) => options.onConnectionError?.(error);
  // A dropped idle connection must not crash the process; the pool replaces it.
  pool.on("error", onConnectionError);
  // Nor may one that is checked out (in a transaction) when the server goes away: pg emits
  // 'error' on the Client, and the pool listens only while the client is idle. The query in
  // flight fails on its own, and the pool discards the broken client when it is released.
  pool.on("connect", (client) => {
    client.on("error", onConnectionError);
  });
  const db = drizzlePg(pool, { schema });
  return {
    kind: "postgres",
    db,
    listen: (channel, onMessage) => listenPostgres(databaseUrl, channel, onMessage, onConnectionError),
    executor: {
      async executeSql(text, values) {
        const r = await pool.query(text, values as unknown[]);
        return { rows: r.rows };
      },
    },
    async migrate() {
      // Several instances may start at once: a session-level lock on one connection serialises them.
      const client = await pool.connect();
      try {
        // A migration may rebuild a big index: no statement timeout in this session.
        await client.query("SET statement_timeout = 0");
        await client.query("SELECT pg_advisory_lock(7243011)");
        await migratePg(drizzlePg(client, { schema }), { migrationsFolder: MIGRATIONS_DIR });
      } finally {
        await client.query("SELECT pg_advisory_unlock(7243011)").catch(() => {});
        client.release();
      }
    },
    async serialised(work) {
      const client = await pool.connect();
      try {
        await client.query("SELECT pg_advisory_lock(7243012)");
        return await work();
      } finally {
        await client.query("SELECT pg_advisory_unlock(7243012)").catch(() => {});
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** LISTEN on a dedicated connection, reconnecting with backoff (1 s doubling to 30 s). */
function listenPostgres(
  connectionString: string,
  channel: string,
  onMessage: (payload: string) => void,
  onConnectionError: (error: Error) => void,
): () => Promise<void> {
  let stopped = false;
  let client: pg.Client | undefined;
  let retryMs = 1000;
  let timer: NodeJS.Timeout | undefined;
  const connect = async () => {
    if (stopped) return;
    const c = new pg.Client({ connectionString, keepAlive: true });
    client = c;
    const again = () => {
      if (stopped || client !== c) return;
      client = undefined;
      c.end().catch(() => {});
      timer = setTimeout(() => void connect(), retryMs);
      timer.unref();
      retryMs = Math.min(retryMs * 2, 30_000);
    };
    c.on("error", (error) => {
      onConnectionError(error);
      again();
    });
    c.on("end", again);
    c.on("notification", (n) => {
      if (n.channel === channel) onMessage(n.payload ?? "");
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      retryMs = 1000;
    } catch (error) {
      onConnectionError(error as Error);
      again();
    }
  };
  void connect();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await client?.end().catch(() => {});
  };
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  const client = await PGlite.create({ dataDir, extensions: { pg_trgm } });
  const gated = gatePglite(client);
  const db = drizzlePglite({ client: gated as unknown as PGlite, schema }) as unknown as Db;
  return {
    kind: "pglite",
    db,
    executor: {
      async executeSql(text, values) {
        if (values && values.length > 0) {
          const r = await gated.query<Record<string, unknown>>(text, values);
          return { rows: r.rows };
        }
        // pg-boss sends multi-statement scripts without parameters; exec runs them all.
        const results = await gated.exec(text);
        return { rows: (results.at(-1)?.rows ?? []) as Record<string, unknown>[] };
      },
    },
    async migrate() {
      await migratePglite(db as never, { migrationsFolder: MIGRATIONS_DIR });
      // PGlite has no autovacuum, so nothing else would ever gather planner statistics.
      await client.exec("ANALYZE");
    },
    // One process owns an embedded database: nothing to wait for.
    serialised: (work) => work(),
    close: () => client.close(),
  };
}

/**
 * PGlite runs one statement (or one transaction) at a time, first come first served. Every
 * call goes through a priority gate: background work (jobs, pg-boss) waits while interactive
 * requests use the connection and never has more than one call queued, so a request waits
 * behind at most one short background statement. Queries inside a transaction go through the
 * transaction's own object, not through the gate (which would deadlock).
 */
function gatePglite(client: PGlite) {
  const gate = createPriorityGate();
  return {
    query: <T>(...args: Parameters<PGlite["query"]>) => gate.run(() => client.query<T>(...args)),
    exec: (...args: Parameters<PGlite["exec"]>) => gate.run(() => client.exec(...args)),
    transaction: <T>(fn: (tx: Transaction) => Promise<T>) => gate.run(() => client.transaction(fn)),
  };
}

/** The embedded database is used by another process (PGlite is single-process). */
export class DataDirInUseError extends Error {}

/**
 * PGlite's files must be opened by one process at a time: a second process (say `seed-demo`
 * while the server runs) would corrupt them. A pid file refuses the second opener; a file left
 * by a dead process is taken over.
 */
function lockDataDir(lockPath: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockPath, String(process.pid), { flag: "wx" });
      return () => rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readFileSync(lockPath, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new DataDirInUseError(
          `The embedded database in ${path.dirname(lockPath)} is in use by process ${pid}. Stop that process first (the embedded database allows one process at a time; use DATABASE_URL for several).`,
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new DataDirInUseError(`Could not lock ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Reports whether the database answers a trivial query within `timeoutMs` (a health check must
 * answer even while the pool waits for connections that cannot be made).
 */
export async function pingDatabase(database: Database, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([
      database.executor.executeSql("SELECT 1").then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Refreshes the planner's statistics. PostgreSQL's autovacuum does this by itself; PGlite has
 * none, so the embedded database runs it after migrations, after seeding and on a schedule.
 */
export async function analyzeDatabase(database: Database): Promise<void> {
  await database.executor.executeSql("ANALYZE");
}
