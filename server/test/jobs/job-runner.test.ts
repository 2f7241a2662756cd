import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineJob, type JobRunner, startJobRunner } from "../../src/platform/jobs.js";
import { startTestServer, type TTestServer } from "../helpers.js";

let s: TTestServer;
beforeAll(async () => {
  s = await startTestServer({ jobs: "pg-boss" });
});
afterAll(async () => {
  await s?.close();
});

const logger = pino({ level: "silent" });
/** Ten minutes: a runner that waited one polling interval per job could not drain anything. */
const LONG_POLL_MS = 600_000;

async function until(check: () => Promise<boolean>, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("timed out");
}

describe("job runner", () => {
  it("drains 300 queued jobs in batches without waiting a polling interval between them", {
    timeout: 120_000,
  }, async () => {
    const name = "test.drain";
    const seen = new Set<number>();
    const def = defineJob({
      name,
      payload: z.object({ n: z.number().int() }),
      batchSize: 25,
      concurrency: 2,
      async handler({ n }) {
        seen.add(n);
      },
    });
    // Queued by a process that does not work the queue, so nothing wakes the worker: only
    // fetching again after a full batch can drain it.
    const sender = await startJobRunner({
      executor: s.ctx.database.executor,
      logger,
      jobs: [def],
      isWorker: false,
    });
    await sender.sendMany(
      name,
      Array.from({ length: 300 }, (_, n) => ({ data: { n } })),
    );
    await sender.stop();
    let worker: JobRunner | undefined;
    try {
      worker = await startJobRunner({
        executor: s.ctx.database.executor,
        logger,
        jobs: [def],
        isWorker: true,
        pollingIntervalMs: LONG_POLL_MS,
        maxConcurrency: 4,
      });
      const w = worker;
      await until(async () => (await w.depths())[0]?.queued === 0 && seen.size === 300);
      await until(async () => (await w.depths())[0]?.active === 0);
      expect(seen.size).toBe(300);
      // 300 / 25 = 12 full batches, plus the empty fetch each of the two loops ends with.
      expect(w.fetchCount(name)).toBeLessThanOrEqual(12 + 2 + 2);
      expect(await w.depths()).toEqual([{ name, queued: 0, active: 0, failed: 0 }]);
    } finally {
      await worker?.stop();
    }
  });

  it.runIf(process.env.TEST_DB === "postgres")(
    "wakes an idle worker in another process at once when a job is sent (PostgreSQL NOTIFY)",
    { timeout: 60_000 },
    async () => {
      const name = "test.wake";
      const ranAt: number[] = [];
      const def = defineJob({
        name,
        payload: z.object({}).passthrough(),
        async handler() {
          ranAt.push(Date.now());
        },
      });
      const listen = s.ctx.database.listen;
      expect(listen).toBeDefined();
      // Two runners standing for two processes: the sender's wake-up of its own loops cannot
      // reach the worker, and the worker polls only every ten minutes.
      const worker = await startJobRunner({
        executor: s.ctx.database.executor,
        logger,
        jobs: [def],
        isWorker: true,
        pollingIntervalMs: LONG_POLL_MS,
        listen,
      });
      const sender = await startJobRunner({
        executor: s.ctx.database.executor,
        logger,
        jobs: [def],
        isWorker: false,
        listen,
      });
      try {
        // Let the worker's first (empty) fetch happen and its listener connect.
        await new Promise((r) => setTimeout(r, 1500));
        for (let round = 0; round < 3; round++) {
          const sentAt = Date.now();
          await sender.send(name, { round });
          await until(async () => ranAt.length > round, 10_000);
          expect(ranAt[round]! - sentAt).toBeLessThan(3000);
        }
      } finally {
        await sender.stop();
        await worker.stop();
      }
    },
  );

  it("fails only the job that threw, completing the rest of its batch", { timeout: 120_000 }, async () => {
    const name = "test.one-bad";
    const ran: number[] = [];
    const def = defineJob({
      name,
      payload: z.object({ n: z.number().int() }),
      batchSize: 10,
      retryLimit: 0,
      async handler({ n }) {
        ran.push(n);
        if (n === 4) throw new Error("bad job");
      },
    });
    const runner = await startJobRunner({
      executor: s.ctx.database.executor,
      logger,
      jobs: [def],
      isWorker: true,
      pollingIntervalMs: LONG_POLL_MS,
    });
    try {
      // Sent from the worker's process: this wakes its idle loop at once.
      await runner.sendMany(
        name,
        Array.from({ length: 10 }, (_, n) => ({ data: { n } })),
      );
      await until(async () => {
        const [d] = await runner.depths();
        return d?.queued === 0 && d.active === 0;
      });
      expect([...ran].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(await runner.depths()).toEqual([{ name, queued: 0, active: 0, failed: 1 }]);
      const { rows } = await s.ctx.database.executor.executeSql(
        "SELECT state::text AS state, count(*)::int AS n FROM pgboss.job WHERE name = $1 GROUP BY state ORDER BY state",
        [name],
      );
      expect(rows).toEqual([
        { state: "completed", n: 9 },
        { state: "failed", n: 1 },
      ]);
    } finally {
      await runner.stop();
    }
  });

  it("reports queue depth in the system status and on /metrics", { timeout: 60_000 }, async () => {
    const admin = await s.actor("admin");
    const status = await s.inject({ method: "GET", url: "/api/system/status/", headers: admin.headers });
    expect(status.statusCode).toBe(200);
    const queues = status.json().queues as { name: string; queued: number; active: number; failed: number }[];
    expect(queues.map((q) => q.name)).toEqual(
      expect.arrayContaining(["notifications.fan-out", "notifications.deliver", "tickets.archive-sweep"]),
    );
    for (const q of queues)
      expect(q).toEqual({
        name: q.name,
        queued: expect.any(Number),
        active: expect.any(Number),
        failed: expect.any(Number),
      });
    const metrics = await s.inject({ method: "GET", url: "/metrics", remoteAddress: "127.0.0.1" });
    expect(metrics.body).toMatch(
      /helpdesk_jobs_queue_depth\{name="notifications.deliver",state="queued"\} \d+/,
    );
  });
});
