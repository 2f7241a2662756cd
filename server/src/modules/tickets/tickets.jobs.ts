import { sql } from "drizzle-orm";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { deleteInBatches } from "../../platform/db/batches.js";
import { defineJob } from "../../platform/jobs.js";
import { sweepArchivedTickets } from "./tickets.usecases.js";

/** Every five minutes: closed tickets past the auto-hide delay leave the working views (S0). */
export const createArchiveSweepJob = (ctx: Pick<AppContext, "db" | "settings" | "logger">) =>
  defineJob({
    name: "tickets.archive-sweep",
    payload: z.object({}).passthrough(),
    cron: "*/5 * * * *",
    retryLimit: 2,
    async handler() {
      const { auto_hide_hours } = await ctx.settings.get();
      const archived = await sweepArchivedTickets(ctx.db, auto_hide_hours);
      // A retried create keeps its key for a day; older keys are no longer needed.
      await deleteInBatches(ctx.db, "idempotency_keys", sql`created_at < now() - interval '1 day'`);
      ctx.logger.info({ archived, auto_hide_hours }, "archive sweep done");
    },
  });
