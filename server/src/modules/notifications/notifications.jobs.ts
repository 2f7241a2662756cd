import { isTicketEvent, TICKET_EVENT_TYPES } from "@helpdesk/contracts";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { defineJob, type JobDefinition } from "../../platform/jobs.js";
import type { Processor } from "../../platform/processors.js";
import { deliverNotifications, MAX_DELIVERY_ATTEMPTS } from "./notifications.deliver.js";
import { DELIVER_JOB, FAN_OUT_JOB, fanOutEvents, sweepNotifications } from "./notifications.engine.js";

const ZId = z.number().int().positive();

/**
 * A fan-out job names the events published together (one job for a burst, not one per event);
 * `eventId` is the shape of jobs queued by earlier versions.
 */
const ZFanOutJob = z
  .union([z.object({ eventIds: z.array(ZId).min(1).max(1000) }), z.object({ eventId: ZId })])
  .transform((j) => ("eventIds" in j ? j.eventIds : [j.eventId]));

/** A delivery job names the deliveries of one fan-out (or one delivery, as earlier versions). */
const ZDeliverJob = z
  .union([z.object({ deliveryIds: z.array(ZId).min(1).max(1000) }), z.object({ deliveryId: ZId })])
  .transform((j) => ("deliveryIds" in j ? j.deliveryIds : [j.deliveryId]));

/**
 * Sends the deliveries of one or more jobs together; returns, per job, why it must run again
 * (some of its deliveries failed and may be retried). pg-boss then runs the job again with
 * backoff: its deliveries already sent are not claimed a second time.
 */
async function deliverJobs(ctx: AppContext, jobs: { id: string; data: number[] }[]) {
  // The embedded server runs requests, the database and delivery on one event loop: a few
  // mails at a time there, so a burst of background mail never makes a request wait seconds.
  const parallelism = ctx.database.kind === "pglite" ? 2 : undefined;
  const { retry } = await deliverNotifications(
    ctx,
    jobs.flatMap((j) => j.data),
    { parallelism },
  );
  const failed = new Map<string, unknown>();
  for (const j of jobs) {
    const errors = j.data.filter((id) => retry.has(id)).map((id) => retry.get(id));
    if (errors.length > 0)
      failed.set(j.id, errors.length === 1 ? errors[0] : new AggregateError(errors, "deliveries failed"));
  }
  return failed;
}

/** The notification jobs: fan-out per burst of events, delivery per fan-out, and the durable sweep. */
export function createNotificationJobs(ctx: AppContext): JobDefinition[] {
  // Fan-out is database work (one short transaction per batch of events); delivery mostly
  // waits for the mail server, so it gets every worker slot this process allows.
  const slots = ctx.config.jobs.concurrency;
  // The embedded database has one connection, shared with requests: short transactions there.
  const embedded = ctx.database.kind === "pglite";
  const fanOut = (eventIds: number[]) => fanOutEvents(ctx, eventIds, { perTransaction: embedded ? 2 : 50 });
  return [
    defineJob({
      name: FAN_OUT_JOB,
      payload: ZFanOutJob,
      retryLimit: 5,
      batchSize: embedded ? 2 : 10,
      concurrency: Math.max(1, Math.ceil(slots / 2)),
      async handler(eventIds) {
        const r = await fanOut(eventIds);
        ctx.logger.debug({ events: eventIds.length, ...r }, "notifications fanned out");
      },
      // A batch is fanned out in one transaction; if it fails, the runner retries its jobs one by one.
      async batchHandler(jobs) {
        const r = await fanOut(jobs.flatMap((j) => j.data));
        ctx.logger.debug({ jobs: jobs.length, ...r }, "notifications fanned out");
        return new Map();
      },
    }),
    defineJob({
      name: DELIVER_JOB,
      payload: ZDeliverJob,
      retryLimit: MAX_DELIVERY_ATTEMPTS - 1,
      batchSize: embedded ? 1 : 4,
      concurrency: embedded ? Math.min(2, slots) : slots,
      async handler(deliveryIds, job) {
        const failed = await deliverJobs(ctx, [{ id: job.id, data: deliveryIds }]);
        if (failed.has(job.id)) throw failed.get(job.id);
      },
      batchHandler: (jobs) => deliverJobs(ctx, jobs),
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
 * queues its fan-out (once, not once per instance); events published in the same turn of the
 * event loop share one job. If this process dies before that, the sweep still finds the events
 * in `ticket_events`.
 */
export function createNotificationProcessor(ctx: AppContext): Processor {
  // The events published in this turn of the event loop, and the step that queues them.
  let pending: number[] = [];
  let flush: Promise<void> | undefined;
  const queue = async () => {
    await new Promise((r) => setImmediate(r));
    const eventIds = pending;
    pending = [];
    flush = undefined;
    await ctx.jobs.send(FAN_OUT_JOB, { eventIds }).catch((error: unknown) => {
      ctx.logger.warn({ err: error, eventIds }, "could not queue a fan-out; the sweep will");
    });
  };
  return {
    name: "notifications",
    events: TICKET_EVENT_TYPES,
    delivery: "once",
    handle(event) {
      if (!isTicketEvent(event) || event.eventId === null) return;
      pending.push(event.eventId);
      flush ??= queue();
      return flush;
    },
  };
}
