import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { defineJob } from "../../platform/jobs.js";

/** Hourly: sign-in throttle counters whose windows ended a day ago are deleted. */
export const createThrottleCleanupJob = (ctx: Pick<AppContext, "throttle" | "logger">) =>
  defineJob({
    name: "auth.throttle-cleanup",
    payload: z.object({}).passthrough(),
    cron: "17 * * * *",
    retryLimit: 1,
    async handler() {
      const deleted = await ctx.throttle.cleanup();
      ctx.logger.info({ deleted }, "sign-in throttle cleanup done");
    },
  });
