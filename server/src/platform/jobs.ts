import { setTimeout as sleep } from "node:timers/promises";
import PgBoss from "pg-boss";
import type { Logger } from "pino";
import type { z } from "zod";
import type { SqlExecutor } from "./db/index.js";
import { runAsBackground } from "./db/priority.js";
import { isDatabaseUnavailableError } from "./db-availability-errors.js";
import { jobsFetches, jobsProcessed } from "./metrics.js";

/** A background job: a name with a version, a zod payload, an optional cron, a handler. */
export type JobDefinition<TSchema extends z.ZodType = z.ZodType> = {
  name: string;
  payload: TSchema;
  /** Cron expression (UTC) for scheduled jobs. */
  cron?: string;
  retryLimit?: number;
  /** Jobs taken from the queue in one round trip (default 10; scheduled jobs 1). */
  batchSize?: number;
  /**
   * Handlers of this queue that may run at once in this process: that many fetch loops, each
   * running its batch one job after another (default 1). Capped by JOBS_CONCURRENCY.
   */
  concurrency?: number;
  /** `signal` is aborted when the runner stops: long handlers end early at a safe point. */
  handler: (data: z.infer<TSchema>, job: { id: string; signal?: AbortSignal }) => Promise<void>;
  /**
   * Optional: handles a whole fetched batch in one go (shared reads, one statement for many
   * rows). Returns the jobs that failed, with their error, to be retried alone; the rest are
   * completed. If it throws, every job of the batch runs through `handler` on its own, so one
   * bad job never fails its neighbours.
   */
  batchHandler?: (jobs: { id: string; data: z.infer<TSchema> }[]) => Promise<Map<string, unknown>>;
};

export const defineJob = <TSchema extends z.ZodType>(def: JobDefinition<TSchema>): JobDefinition =>
  def as unknown as JobDefinition;

/** How many jobs of one queue wait, run and failed for good (system status, `/metrics`). */
export type TQueueDepth = { name: string; queued: number; active: number; failed: number };

export type JobRunner = {
  /** Queues a job; with a singletonKey the same key is queued once. */
  send(
    name: string,
    data: object,
    options?: { singletonKey?: string; startAfterSeconds?: number },
  ): Promise<void>;
  /** Queues many jobs of one kind in one statement (fan-out). */
  sendMany(name: string, items: { data: object; singletonKey?: string }[]): Promise<void>;
  /** Runs one job's handler now, in this process (CLI and tests). */
  runNow(name: string, data?: object): Promise<void>;
  /** Jobs per queue by state (queued = created or waiting for a retry). */
  depths(): Promise<TQueueDepth[]>;
  /** Round trips to the queue that fetched jobs or found none, per queue, since start (tests). */
  fetchCount(name: string): number;
  stop(): Promise<void>;
};

/** The NOTIFY channel on which a process that sent jobs wakes the others' idle loops. */
const WAKE_CHANNEL = "helpdesk_jobs";

/** Jobs fetched in one round trip when the definition does not say. */
const DEFAULT_BATCH_SIZE = 10;

/**
 * Starts pg-boss on the application database. Every process can send jobs; only processes
 * with the worker role run handlers and schedules (pg-boss makes each job run once).
 *
 * Workers are our own loops over `boss.fetch` rather than `boss.work`: pg-boss 10 sleeps the
 * whole polling interval after every fetch, has no per-process concurrency, and fails every
 * job of a batch when the batch handler throws. Here a loop that fetched a full batch fetches
 * again at once, a queue gets `concurrency` loops, a job sent from this process wakes its
 * queue's sleeping loops, and each job is completed or failed on its own.
 */
export async function startJobRunner(options: {
  executor: SqlExecutor;
  logger: Logger;
  jobs: JobDefinition[];
  isWorker: boolean;
  /** How long an idle queue waits before it looks again (default 2 s). */
  pollingIntervalMs?: number;
  /** Upper bound on any queue's concurrency in this process. */
  maxConcurrency?: number;
  /**
   * Where several processes share the queue (PostgreSQL): how a job sent by one wakes the
   * idle loops of another at once instead of at their next poll.
   */
  listen?: (channel: string, onMessage: (payload: string) => void) => () => Promise<void>;
}): Promise<JobRunner> {
  const { logger } = options;
  // pg-boss's own statements (fetch, complete, maintenance) are background work: on the
  // embedded database they wait for interactive requests (see db/priority.ts).
  const executor: SqlExecutor = {
    executeSql: (text, values) => runAsBackground(() => options.executor.executeSql(text, values)),
  };
  const boss = new PgBoss({
    db: executor,
    schema: "pgboss",
    supervise: options.isWorker,
    schedule: options.isWorker,
    migrate: true,
  });
  // pg-boss reports failed polls and maintenance here and keeps polling: while the database is
  // down, workers pause this way and resume by themselves once it answers again.
  boss.on("error", (error) => {
    if (isDatabaseUnavailableError(error)) logger.warn({ err: error }, "job runner: database unavailable");
    else logger.error({ err: error }, "job runner error");
  });
  await boss.start();
  const byName = new Map(options.jobs.map((j) => [j.name, j]));
  const pollingIntervalMs = options.pollingIntervalMs ?? 2000;
  const maxConcurrency = Math.max(1, options.maxConcurrency ?? 4);

  const stopSignal = new AbortController();
  /** A job's outcome could not be written: expected while the database is down (it is retried). */
  const logOutcomeError = (error: unknown, fields: Record<string, unknown>, message: string) => {
    if (isDatabaseUnavailableError(error))
      logger.warn({ err: error, ...fields }, `${message}: database unavailable`);
    else logger.error({ err: error, ...fields }, message);
  };

  /** Runs a handler; "rejected" payloads are completed (they would never succeed). */
  const runHandler = async (def: JobDefinition, data: unknown, id: string): Promise<"ok" | "rejected"> => {
    const parsed = def.payload.safeParse(data ?? {});
    if (!parsed.success) {
      // A payload that does not match its schema will never succeed: drop it loudly.
      logger.error({ job: def.name, id, issues: parsed.error.issues }, "job payload rejected");
      jobsProcessed.inc({ name: def.name, outcome: "rejected" });
      return "rejected";
    }
    try {
      await runAsBackground(() => def.handler(parsed.data, { id, signal: stopSignal.signal }));
      jobsProcessed.inc({ name: def.name, outcome: "ok" });
      return "ok";
    } catch (error) {
      jobsProcessed.inc({ name: def.name, outcome: "failed" });
      logger.warn({ err: error, job: def.name, id }, "job failed; pg-boss will retry");
      throw error;
    }
  };

  let stopping = false;
  const fetches = new Map<string, number>();
  /** Per queue: wakes its sleeping loops (a job was sent from this process). */
  const wakers = new Map<string, Set<() => void>>();
  const inFlight = new Map<string, Set<string>>();
  const loops: Promise<void>[] = [];

  const wake = (name: string) => {
    for (const w of wakers.get(name) ?? []) w();
  };

  const idleWait = async (name: string) => {
    const waker = new AbortController();
    const set = wakers.get(name) ?? new Set();
    wakers.set(name, set);
    const fire = () => waker.abort();
    set.add(fire);
    try {
      await sleep(pollingIntervalMs, undefined, {
        signal: AbortSignal.any([waker.signal, stopSignal.signal]),
      });
    } catch {
      // Woken early: by a new job or by stop().
    } finally {
      set.delete(fire);
    }
  };

  const failJob = (name: string, id: string, error: unknown) =>
    boss
      .fail(name, id, { message: error instanceof Error ? error.message : String(error) })
      .catch((e: unknown) => logOutcomeError(e, { job: name, id }, "could not fail a job"));

  /** The batch handler's way; false when it threw and the jobs must run one by one. */
  const tryBatchHandler = async (def: JobDefinition, jobs: PgBoss.Job<unknown>[], done: string[]) => {
    if (!def.batchHandler || jobs.length < 2) return false;
    const valid: { id: string; data: unknown }[] = [];
    for (const job of jobs) {
      const parsed = def.payload.safeParse(job.data ?? {});
      if (parsed.success) valid.push({ id: job.id, data: parsed.data });
      else {
        logger.error({ job: def.name, id: job.id, issues: parsed.error.issues }, "job payload rejected");
        jobsProcessed.inc({ name: def.name, outcome: "rejected" });
        done.push(job.id);
      }
    }
    const batchHandler = def.batchHandler;
    let failed: Map<string, unknown>;
    try {
      failed = await runAsBackground(() => batchHandler(valid));
    } catch (error) {
      logger.warn(
        { err: error, job: def.name, jobs: valid.length },
        "batch failed; running its jobs one by one",
      );
      done.length = 0;
      return false;
    }
    for (const job of valid) {
      const error = failed.get(job.id);
      if (error === undefined) {
        jobsProcessed.inc({ name: def.name, outcome: "ok" });
        done.push(job.id);
      } else {
        jobsProcessed.inc({ name: def.name, outcome: "failed" });
        logger.warn({ err: error, job: def.name, id: job.id }, "job failed; pg-boss will retry");
        await failJob(def.name, job.id, error);
      }
    }
    return true;
  };

  /** Runs one fetched batch; completes the good jobs together, fails each bad one alone. */
  const runBatch = async (def: JobDefinition, jobs: PgBoss.Job<unknown>[]) => {
    const active = inFlight.get(def.name) ?? new Set<string>();
    inFlight.set(def.name, active);
    const done: string[] = [];
    for (const job of jobs) active.add(job.id);
    if (await tryBatchHandler(def, jobs, done)) {
      for (const job of jobs) active.delete(job.id);
      if (done.length > 0)
        await boss
          .complete(def.name, done)
          .catch((e: unknown) => logOutcomeError(e, { job: def.name }, "could not complete jobs"));
      return;
    }
    for (const job of jobs) {
      // Stopping: the rest of the batch goes back to the queue now (below), not at its expiry.
      if (stopping) break;
      try {
        await runHandler(def, job.data, job.id);
        done.push(job.id);
      } catch (error) {
        await failJob(def.name, job.id, error);
      }
      active.delete(job.id);
      // A loop holding a batch gives the event loop (and interactive requests) a turn between jobs.
      await new Promise((r) => setImmediate(r));
    }
    if (done.length > 0) {
      await boss
        .complete(def.name, done)
        .catch((e: unknown) => logOutcomeError(e, { job: def.name }, "could not complete jobs"));
    }
    if (active.size > 0 && stopping) {
      const left = jobs.filter((j) => active.has(j.id)).map((j) => j.id);
      for (const id of left) active.delete(id);
      if (left.length > 0) await boss.fail(def.name, left).catch(() => {});
    }
  };

  const runLoop = async (def: JobDefinition, batchSize: number) => {
    while (!stopping) {
      let jobs: PgBoss.Job<unknown>[] = [];
      try {
        jobs = await boss.fetch(def.name, { batchSize });
        fetches.set(def.name, (fetches.get(def.name) ?? 0) + 1);
        jobsFetches.inc({ name: def.name });
      } catch (error) {
        // While the database is down the loops pause here and resume when it answers again.
        if (isDatabaseUnavailableError(error))
          logger.warn({ err: error, job: def.name }, "job fetch: database unavailable");
        else logger.error({ err: error, job: def.name }, "could not fetch jobs");
      }
      if (jobs.length > 0) await runBatch(def, jobs);
      // A full batch means more may be waiting: look again at once.
      if (jobs.length < batchSize && !stopping) await idleWait(def.name);
    }
  };

  for (const def of options.jobs) {
    await boss.createQueue(def.name, {
      name: def.name,
      retryLimit: def.retryLimit ?? 5,
      retryDelay: 5,
      retryBackoff: true,
    });
    if (options.isWorker) {
      const batchSize = Math.max(1, def.batchSize ?? (def.cron ? 1 : DEFAULT_BATCH_SIZE));
      const concurrency = Math.min(maxConcurrency, Math.max(1, def.concurrency ?? 1));
      for (let i = 0; i < concurrency; i++) loops.push(runLoop(def, batchSize));
      if (def.cron) await boss.schedule(def.name, def.cron, {}, { tz: "UTC" });
    }
  }

  // Other processes' sends wake this one's loops; this one's sends wake theirs (one NOTIFY
  // per statement of jobs, after it committed). Payload: the queue's name.
  const names = new Set(options.jobs.map((j) => j.name));
  const stopListening =
    options.isWorker && options.listen
      ? options.listen(WAKE_CHANNEL, (queue) => {
          if (names.has(queue)) wake(queue);
        })
      : undefined;
  const tellOthers = async (name: string) => {
    if (!options.listen) return;
    await executor
      .executeSql("SELECT pg_notify($1, $2)", [WAKE_CHANNEL, name])
      .catch((error: unknown) => logger.warn({ err: error, job: name }, "could not wake other workers"));
  };

  /** Inserts jobs of one queue in one statement and wakes its loops, here and elsewhere. */
  const insertJobs = async (name: string, items: { data: object; singletonKey?: string }[]) => {
    await boss.insert(items.map((i) => ({ name, data: i.data, singletonKey: i.singletonKey })));
    wake(name);
    await tellOthers(name);
  };

  /**
   * Jobs sent in the same turn of the event loop go to the queue in one statement: a burst of
   * events (each queuing its fan-out) costs one insert and one commit, not one per event.
   */
  const pendingSends = new Map<
    string,
    {
      items: { data: object; singletonKey?: string }[];
      waiters: { resolve: () => void; reject: (error: unknown) => void }[];
    }
  >();
  const flushSends = async (name: string) => {
    const batch = pendingSends.get(name);
    pendingSends.delete(name);
    if (!batch) return;
    try {
      await insertJobs(name, batch.items);
      for (const w of batch.waiters) w.resolve();
    } catch (error) {
      for (const w of batch.waiters) w.reject(error);
    }
  };

  return {
    async send(name, data, opts) {
      if (opts?.startAfterSeconds) {
        await boss.send(name, data, { singletonKey: opts.singletonKey, startAfter: opts.startAfterSeconds });
        return;
      }
      let batch = pendingSends.get(name);
      if (!batch) {
        batch = { items: [], waiters: [] };
        pendingSends.set(name, batch);
        setImmediate(() => void flushSends(name));
      }
      const queued = batch;
      await new Promise<void>((resolve, reject) => {
        queued.items.push({ data, singletonKey: opts?.singletonKey });
        queued.waiters.push({ resolve, reject });
      });
    },
    async sendMany(name, items) {
      if (items.length > 0) await insertJobs(name, items);
    },
    async runNow(name, data) {
      const def = byName.get(name);
      if (!def) throw new Error(`Unknown job ${name}`);
      await runHandler(def, data ?? {}, "manual");
    },
    async depths() {
      // Asked by a request (status page, metrics scrape): interactive, not background.
      return readQueueDepths(
        options.executor,
        options.jobs.map((j) => j.name),
      );
    },
    fetchCount: (name) => fetches.get(name) ?? 0,
    async stop() {
      stopping = true;
      stopSignal.abort();
      await stopListening?.();
      const finished = await Promise.race([
        Promise.all(loops).then(() => true),
        sleep(5000).then(() => false),
      ]);
      if (!finished) {
        // Jobs still running when we give up go back to the queue now, not at their expiry.
        for (const [name, ids] of inFlight) {
          if (ids.size > 0) await boss.fail(name, [...ids]).catch(() => {});
        }
      }
      await boss.stop({ graceful: true, wait: true, timeout: 5000 });
    },
  };
}

/** Counts jobs per queue by state in pg-boss's table (one grouped query). */
export async function readQueueDepths(executor: SqlExecutor, names: string[]): Promise<TQueueDepth[]> {
  const { rows } = await executor.executeSql(
    `SELECT name, state::text AS state, count(*)::int AS n FROM pgboss.job
     WHERE name = ANY($1::text[]) AND state IN ('created', 'retry', 'active', 'failed')
     GROUP BY name, state`,
    [names],
  );
  const byName = new Map(names.map((name) => [name, { name, queued: 0, active: 0, failed: 0 }]));
  for (const r of rows) {
    const q = byName.get(String(r.name));
    if (!q) continue;
    const n = Number(r.n);
    if (r.state === "active") q.active += n;
    else if (r.state === "failed") q.failed += n;
    else q.queued += n;
  }
  return [...byName.values()];
}
