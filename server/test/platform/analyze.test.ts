import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/modules/system/seed-demo.js";
import { startTestServer, TEST_DB, type TTestServer } from "../helpers.js";

let s: TTestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.close();
});

const ticketsReltuples = async () => {
  const { rows } = await s.ctx.database.executor.executeSql(
    "SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'tickets'::regclass",
  );
  return Number(rows[0]?.n);
};

describe("#database.analyze (the embedded database has no autovacuum)", () => {
  it.skipIf(TEST_DB === "postgres")("has planner statistics right after migrations", async () => {
    // -1 means "never analyzed": the planner then guesses from the file size alone.
    expect(await ticketsReltuples()).not.toBe(-1);
  });

  it("has planner statistics for the seeded tickets after seed-demo", { timeout: 120_000 }, async () => {
    await seedDemo(s.ctx, { tickets: 12 });
    expect(await ticketsReltuples()).toBeGreaterThanOrEqual(12);
  });

  it("refreshes them from the hourly system.analyze job (autovacuum's work on PostgreSQL)", async () => {
    await s.ctx.database.executor.executeSql(
      "CREATE TABLE analyze_probe AS SELECT g FROM generate_series(1, 100) AS g",
    );
    const probe = async () => {
      const { rows } = await s.ctx.database.executor.executeSql(
        "SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'analyze_probe'::regclass",
      );
      return Number(rows[0]?.n);
    };
    expect(await probe()).toBe(-1);
    await s.ctx.jobs.runNow("system.analyze");
    expect(await probe()).toBe(TEST_DB === "postgres" ? -1 : 100);
  });
});
