import { isTicketEvent, TICKET_EVENT_TYPES } from "@helpdesk/contracts";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { defineJob, type JobDefinition } from "../../platform/jobs.js";
import type { Processor } from "../../platform/processors.js";
import { deliverNotification, deliverNotifications, MAX_DELIVERY_ATTEMPTS } from "./notifications.deliver.js";
import {
  DELIVER_JOB,
  FAN_OUT_JOB,
  fanOutEvent,
  sweepNotifications,
  trackNotificationWork,
} from "./notifications.engine.js";

/** The notification jobs: fan-out per event, delivery per row, and the durable sweep. */
export function createNotificationJobs(ctx: AppContext): JobDefinition[] {
  // Fan-out is database work (one short transaction per event); delivery mostly waits for the
  // mail server, so it gets every worker slot this process allows.
  const slots = ctx.config.jobs.concurrency;
  return [
    defineJob({
      name: FAN_OUT_JOB,
      payload: z.object({ eventId: z.number().int().positive() }),
      retryLimit: 5,
      batchSize: 20,
      concurrency: Math.max(1, Math.ceil(slots / 2)),
      async handler({ eventId }) {
        const r = await fanOutEvent(ctx, eventId);
        ctx.logger.debug({ eventId, ...r }, "notifications fanned out");
      },
    }),
    defineJob({
      name: DELIVER_JOB,
      payload: z.object({ deliveryId: z.number().int().positive() }),
      retryLimit: MAX_DELIVERY_ATTEMPTS - 1,
      batchSize: 20,
      concurrency: slots,
      async handler({ deliveryId }) {
        await deliverNotification(ctx, deliveryId);
      },
      async batchHandler(jobs) {
        const { retry } = await deliverNotifications(
          ctx,
          jobs.map((j) => j.data.deliveryId),
        );
        const failed = new Map<string, unknown>();
        for (const j of jobs)
          if (retry.has(j.data.deliveryId)) failed.set(j.id, retry.get(j.data.deliveryId));
        return failed;
      },
    }),
    defineJob({
      name: "notifications.sweep",
      payload: z.object({}).passthrough(),
      cron: "* * * * *",
      retryLimit: 1,
      async handler(_data, job) {
        await sweepNotifications(ctx, { signal: job.signal });
      },
    }),
  ];
}

/**
 * The fast path: right after a ticket change commits, the process that published its event
 * queues a fan-out job keyed by the event id (once, not once per instance). If this process
 * dies before that, the sweep still finds the event in `ticket_events`.
 */
export function createNotificationProcessor(ctx: AppContext): Processor {
  return {
    name: "notifications",
    events: TICKET_EVENT_TYPES,
    delivery: "once",
    handle(event) {
      if (!isTicketEvent(event) || event.eventId === null) return;
      const eventId = event.eventId;
      void trackNotificationWork(
        ctx.jobs
          .send(FAN_OUT_JOB, { eventId }, { singletonKey: `event-${eventId}` })
          .catch((error: unknown) => {
            ctx.logger.warn({ err: error, eventId }, "could not queue a fan-out; the sweep will");
          }),
      );
    },
  };
}
