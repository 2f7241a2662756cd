import fastifyWebsocket from "@fastify/websocket";
import { REALTIME_LIMITS } from "@helpdesk/contracts";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AppContext } from "../../app-context.js";
import { createForbiddenError, createUnauthenticatedError } from "../../platform/errors.js";
import type { TActor } from "../auth/auth.actor.js";
import { isTrustedOrigin, SESSION_COOKIE } from "../auth/auth.guard.js";
import { createRealtimeHub, type RealtimeHub } from "./realtime.hub.js";

const hubs = new WeakMap<AppContext, RealtimeHub>();

/** The hub serving `/ws` for this process (tests and benchmarks look at it). */
export function getRealtimeHub(ctx: AppContext): RealtimeHub | undefined {
  return hubs.get(ctx);
}

declare module "fastify" {
  interface FastifyRequest {
    realtimeActor?: TActor;
  }
}

/**
 * `GET /ws`: the app's WebSocket. Authenticated at the upgrade like any request (session
 * cookie or `Authorization`), or with `?token=<access JWT>` for clients that cannot set
 * headers; without valid credentials the upgrade is answered 401 and no socket opens.
 */
export async function registerRealtimeRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const hub = createRealtimeHub({ db: ctx.db, bus: ctx.bus, logger: ctx.logger });
  const trustedOrigins = new Set(ctx.config.trustedOrigins);
  hubs.set(ctx, hub);
  const unregister = ctx.processors.register(hub.processor);
  app.addHook("onClose", async () => {
    unregister();
    await hub.close();
  });

  // Its own scope: @fastify/websocket's hooks then touch only this route.
  await app.register(async (scope) => {
    await scope.register(fastifyWebsocket, {
      options: { maxPayload: REALTIME_LIMITS.framePayloadMaxBytes, perMessageDeflate: false },
    });

    const authenticate = async (req: FastifyRequest) => {
      const query = req.query as { token?: unknown };
      if (!req.headers.authorization && typeof query.token === "string" && query.token.length > 0) {
        req.headers.authorization = `Bearer ${query.token}`;
      } else if (!req.headers.authorization && req.cookies?.[SESSION_COOKIE]) {
        // Browsers send cookies on cross-site WebSocket handshakes too: only our own pages may use them.
        if (!isTrustedOrigin(req, trustedOrigins)) {
          throw createForbiddenError("realtime.origin_forbidden", "WebSocket from another origin");
        }
      }
      const actor = await ctx.auth.optional(req);
      if (!actor) throw createUnauthenticatedError();
      req.realtimeActor = actor;
    };

    scope.get(
      "/ws",
      { websocket: true, preValidation: authenticate, schema: { hide: true } },
      (socket, req) => {
        const actor = req.realtimeActor;
        if (!actor) {
          socket.close(4401, "unauthenticated");
          return;
        }
        hub.accept(socket, actor);
      },
    );
  });
}
