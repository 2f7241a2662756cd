import { sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../../app-context.js";
import { pingDatabase } from "../../platform/db/index.js";
import { metricsRegistry } from "../../platform/metrics.js";

const startedAt = Date.now();
const APP_VERSION = "0.1.0";

/** Health (no auth), Prometheus metrics, and the admin's status page (seed S3). */
export async function registerSystemRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get(
    "/api/health",
    { schema: { tags: ["system"], summary: "Liveness and database reachability" } },
    async (_req, reply) => {
      const database = await pingDatabase(ctx.database);
      return reply.status(database ? 200 : 503).send({
        status: database ? "ok" : "degraded",
        database: database ? "ok" : "unreachable",
        database_kind: ctx.database.kind,
        uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
      });
    },
  );

  app.get("/metrics", { schema: { hide: true } }, async (_req, reply) => {
    reply.header("Content-Type", metricsRegistry.contentType);
    return metricsRegistry.metrics();
  });

  app.get(
    "/api/system/status",
    { schema: { tags: ["system"], summary: "System status (admins)" } },
    async (req) => {
      await ctx.auth.requireRole(req, "admin");
      const counts = await ctx.db.execute<Record<string, number>>(sql`
      SELECT
        (SELECT count(*)::int FROM tickets) AS tickets,
        (SELECT count(*)::int FROM tickets WHERE status <> 'closed') AS open_tickets,
        (SELECT count(*)::int FROM tickets WHERE archived_at IS NOT NULL) AS archived_tickets,
        (SELECT count(*)::int FROM users WHERE is_active) AS active_users`);
      const memory = process.memoryUsage();
      return {
        status: "ok",
        version: APP_VERSION,
        database: { kind: ctx.database.kind, reachable: await pingDatabase(ctx.database) },
        realtime: { bus: ctx.config.redisUrl ? "redis" : "in-process" },
        services: ctx.config.services,
        uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
        memory_rss_bytes: memory.rss,
        counts: counts.rows[0] ?? {},
      };
    },
  );
}
