import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { analyzeDatabase } from "../../platform/db/index.js";
import { defineJob } from "../../platform/jobs.js";

/**
 * Hourly, on the embedded database only: refresh the planner's statistics. PGlite has no
 * autovacuum, so without this the planner keeps guessing from the row counts of the last
 * migration or seed; PostgreSQL's autovacuum does the same by itself.
 */
export const createAnalyzeJob = (ctx: Pick<AppContext, "database" | "logger">) =>
  defineJob({
    name: "system.analyze",
    payload: z.object({}).passthrough(),
    cron: "41 * * * *",
    retryLimit: 1,
    async handler() {
      if (ctx.database.kind !== "pglite") return;
      const started = Date.now();
      await analyzeDatabase(ctx.database);
      ctx.logger.info({ ms: Date.now() - started }, "embedded database analyzed");
    },
  });
