import client from "prom-client";

/** One registry per process; `/metrics` renders it. */
export const metricsRegistry = new client.Registry();
client.collectDefaultMetrics({ register: metricsRegistry });

export const httpRequestDuration = new client.Histogram({
  name: "helpdesk_http_request_duration_seconds",
  help: "HTTP request duration by route and status",
  labelNames: ["method", "route", "status"],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [metricsRegistry],
});

export const ticketsCreated = new client.Counter({
  name: "helpdesk_tickets_created_total",
  help: "Tickets created, by source",
  labelNames: ["source"],
  registers: [metricsRegistry],
});

export const jobsProcessed = new client.Counter({
  name: "helpdesk_jobs_processed_total",
  help: "Background jobs processed, by name and outcome",
  labelNames: ["name", "outcome"],
  registers: [metricsRegistry],
});

export const jobsFetches = new client.Counter({
  name: "helpdesk_jobs_fetches_total",
  help: "Round trips to the job queue (a fetch of up to one batch), by queue",
  labelNames: ["name"],
  registers: [metricsRegistry],
});

/**
 * Jobs per queue and state (queued, active, failed), read from pg-boss when `/metrics` is
 * scraped. The reader is set by the process that runs the job runner.
 */
let readDepths:
  | (() => Promise<{ name: string; queued: number; active: number; failed: number }[]>)
  | undefined;
export const setQueueDepthReader = (reader: typeof readDepths) => {
  readDepths = reader;
};
export const jobsQueueDepth = new client.Gauge({
  name: "helpdesk_jobs_queue_depth",
  help: "Background jobs per queue by state: queued (waiting or due for a retry), active, failed",
  labelNames: ["name", "state"],
  registers: [metricsRegistry],
  async collect() {
    if (!readDepths) return;
    this.reset();
    try {
      for (const q of await readDepths()) {
        this.set({ name: q.name, state: "queued" }, q.queued);
        this.set({ name: q.name, state: "active" }, q.active);
        this.set({ name: q.name, state: "failed" }, q.failed);
      }
    } catch {
      // The database is unreachable: the gauge is left empty rather than failing the scrape.
    }
  },
});
