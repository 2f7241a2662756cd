import { timingSafeEqual } from "node:crypto";
import { createServer as createHttpServer, type Server } from "node:http";
import { ZHealth, ZSystemStatus } from "@helpdesk/contracts";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AppContext } from "../../app-context.js";
import { pingDatabase } from "../../platform/db/index.js";
import { DATABASE_RETRY_AFTER_SECONDS } from "../../platform/db-availability-errors.js";
import { AppError } from "../../platform/errors.js";
import { metricsRegistry } from "../../platform/metrics.js";
import { canViewSystemStatus } from "./system.policies.js";
import { countForStatus } from "./system.repository.js";

const startedAt = Date.now();
const APP_VERSION = "0.1.0";

/**
 * Who may read `/metrics` on the main port: with METRICS_TOKEN, whoever sends it as a Bearer
 * token; without, only a direct connection from this machine (not one relayed by a proxy).
 * With METRICS_HOST/METRICS_PORT the metrics live on their own listener and not here at all.
 * Anyone else gets the same 404 as an unknown route.
 */
function mayReadMetrics(config: AppContext["config"], req: FastifyRequest): boolean {
  if (config.metrics) return false;
  if (config.metricsToken) {
    const given = Buffer.from(req.headers.authorization ?? "");
    const expected = Buffer.from(`Bearer ${config.metricsToken}`);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  const direct = req.socket.remoteAddress ?? "";
  const isLoopback = direct === "::1" || direct.startsWith("127.") || direct.startsWith("::ffff:127.");
  return isLoopback && req.headers["x-forwarded-for"] === undefined && req.headers.forwarded === undefined;
}

/**
 * METRICS_HOST:METRICS_PORT: a listener that serves only `/metrics`, for an address that only
 * the monitoring network reaches. Resolves once it listens.
 */
export async function startMetricsListener(options: { host: string; port: number }): Promise<Server> {
  const server = createHttpServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
      return;
    }
    metricsRegistry.metrics().then(
      (text) => res.writeHead(200, { "Content-Type": metricsRegistry.contentType }).end(text),
      () => res.writeHead(500, { "Content-Type": "text/plain" }).end("metrics failed"),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return server;
}

/** Health (no auth), Prometheus metrics, and the admin's status page (seed S3). */
export async function registerSystemRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get(
    "/api/health",
    {
      schema: {
        tags: ["system"],
        summary: "Liveness and database reachability",
        response: { 200: ZHealth, 503: ZHealth },
      },
    },
    async (_req, reply) => {
      const database = await pingDatabase(ctx.database);
      // A load balancer retries after this; the API's own 503s say the same.
      if (!database) reply.header("Retry-After", String(DATABASE_RETRY_AFTER_SECONDS));
      return reply.status(database ? 200 : 503).send({
        status: database ? "ok" : "degraded",
        database: database ? "ok" : "down",
        database_kind: ctx.database.kind,
        uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
      });
    },
  );

  app.get("/metrics", { schema: { hide: true } }, async (req, reply) => {
    if (!mayReadMetrics(ctx.config, req)) {
      throw new AppError("common.route_not_found", 404, `No route GET ${req.url.split("?")[0]}`);
    }
    reply.header("Content-Type", metricsRegistry.contentType);
    return metricsRegistry.metrics();
  });

  app.get(
    "/api/system/status",
    { schema: { tags: ["system"], summary: "System status (admins)", response: { 200: ZSystemStatus } } },
    async (req) => {
      await ctx.auth.requireAbility(req, canViewSystemStatus);
      const memory = process.memoryUsage();
      return {
        status: "ok" as const,
        version: APP_VERSION,
        database: { kind: ctx.database.kind, reachable: await pingDatabase(ctx.database) },
        realtime: { bus: ctx.config.redisUrl ? "redis" : "in-process" },
        services: ctx.config.services,
        uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
        memory_rss_bytes: memory.rss,
        counts: await countForStatus(ctx.db),
        // Background work per queue: what waits (queued or due for a retry), runs, failed for good.
        queues: await ctx.jobs.depths(),
      };
    },
  );
}
