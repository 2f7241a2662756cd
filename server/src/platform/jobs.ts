import PgBoss from "pg-boss";
import type { Logger } from "pino";
import type { z } from "zod";
import type { SqlExecutor } from "./db/index.js";
import { isDatabaseUnavailableError } from "./db-availability-errors.js";
import { jobsProcessed } from "./metrics.js";

/** A background job: a name with a version, a zod payload, an optional cron, a handler. */
export type JobDefinition<TSchema extends z.ZodType = z.ZodType> = {
  name: string;
  payload: TSchema;
  /** Cron expression (UTC) for scheduled jobs. */
  cron?: string;
  retryLimit?: number;
  handler: (data: z.infer<TSchema>, job: { id: string }) => Promise<void>;
};

export const defineJob = <TSchema extends z.ZodType>(def: JobDefinition<TSchema>): JobDefinition =>
  def as unknown as JobDefinition;

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
  stop(): Promise<void>;
};

/**
 * Starts pg-boss on the application database. Every process can send jobs; only processes
 * with the worker role run handlers and schedules (pg-boss makes each job run once).
 */
export async function startJobRunner(options: {
  executor: SqlExecutor;
  logger: Logger;
  jobs: JobDefinition[];
  isWorker: boolean;
  pollingIntervalSeconds?: number;
}): Promise<JobRunner> {
  const { logger } = options;
  const boss = new PgBoss({
    db: options.executor,
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

  const runHandler = async (def: JobDefinition, data: unknown, id: string) => {
    const parsed = def.payload.safeParse(data ?? {});
    if (!parsed.success) {
      // A payload that does not match its schema will never succeed: drop it loudly.
      logger.error({ job: def.name, id, issues: parsed.error.issues }, "job payload rejected");
      jobsProcessed.inc({ name: def.name, outcome: "rejected" });
      return;
    }
    try {
      await def.handler(parsed.data, { id });
      jobsProcessed.inc({ name: def.name, outcome: "ok" });
    } catch (error) {
      jobsProcessed.inc({ name: def.name, outcome: "failed" });
      logger.warn({ err: error, job: def.name, id }, "job failed; pg-boss will retry");
      throw error;
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
      await boss.work(
        def.name,
        { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2, batchSize: 1 },
        async (jobs) => {
          for (const job of jobs) await runHandler(def, job.data, job.id);
        },
      );
      if (def.cron) await boss.schedule(def.name, def.cron, {}, { tz: "UTC" });
    }
  }

  return {
    async send(name, data, opts) {
      await boss.send(name, data, {
        singletonKey: opts?.singletonKey,
        startAfter: opts?.startAfterSeconds,
      });
    },
    async sendMany(name, items) {
      if (items.length === 0) return;
      await boss.insert(items.map((i) => ({ name, data: i.data, singletonKey: i.singletonKey })));
    },
    async runNow(name, data) {
      const def = byName.get(name);
      if (!def) throw new Error(`Unknown job ${name}`);
      await runHandler(def, data ?? {}, "manual");
    },
    async stop() {
      await boss.stop({ graceful: true, wait: true, timeout: 5000 });
    },
  };
}
