import client from "prom-client";
import { metricsRegistry } from "../../platform/metrics.js";

export const realtimeConnections = new client.Gauge({
  name: "helpdesk_realtime_connections",
  help: "Open WebSocket connections on this instance",
  registers: [metricsRegistry],
});

export const realtimeFanOutDuration = new client.Histogram({
  name: "helpdesk_realtime_fanout_seconds",
  help: "From a ticket event reaching the hub to its messages handed to every socket",
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  registers: [metricsRegistry],
});

export const realtimeMessagesSent = new client.Counter({
  name: "helpdesk_realtime_messages_sent_total",
  help: "Ticket event messages sent to sockets",
  registers: [metricsRegistry],
});
