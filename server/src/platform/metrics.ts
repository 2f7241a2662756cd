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
