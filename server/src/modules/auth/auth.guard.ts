import type { TLanguage, TRole } from "@helpdesk/contracts";
import type { FastifyRequest } from "fastify";
import { sha256Hex } from "../../platform/crypto.js";
import type { SqlExecutor } from "../../platform/db/index.js";
import { createForbiddenError, createUnauthenticatedError } from "../../platform/errors.js";
import type { TActor } from "./auth.actor.js";
import { createCsrfError, createInvalidTokenError } from "./auth.errors.js";
import type { TokenService } from "./auth.tokens.js";

export const SESSION_COOKIE = "hd_session";

/** Bus event that makes every instance drop cached credentials (of one user, or all). */
export const ACCESS_CHANGED = "auth.access_changed";
export const accessChanged = (userId?: number) => ({
  type: ACCESS_CHANGED,
  data: { user_id: userId ?? null },
  at: new Date().toISOString(),
});

const ACTOR_COLUMNS = `
  u.id, u.role, u.email, u.name, u.language,
  coalesce((SELECT array_agg(ud.department_id) FROM user_departments ud WHERE ud.user_id = u.id), '{}') AS department_ids,
  coalesce((SELECT array_agg(q.id) FROM queues q JOIN user_departments ud ON ud.department_id = q.department_id
            WHERE ud.user_id = u.id), '{}') AS queue_ids`;

const BY_SESSION = `SELECT ${ACTOR_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id
  WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.is_active`;
const BY_API_TOKEN = `SELECT ${ACTOR_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id
  WHERE t.token_hash = $1 AND u.is_active`;

type TActorRow = {
  id: number;
  role: TRole;
  email: string;
  name: string;
  language: TLanguage;
  department_ids: number[];
  queue_ids: number[];
};

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export type AuthGuard = {
  /** The actor, or null when the request carries no credentials. Bad credentials are a 401. */
  optional(request: FastifyRequest): Promise<TActor | null>;
  /** The actor, or 401. */
  require(request: FastifyRequest): Promise<TActor>;
  /** The actor if their role is one of `roles`, otherwise 403. */
  requireRole(request: FastifyRequest, ...roles: TRole[]): Promise<TActor>;
  /** Drops cached credentials of a user (deactivated, role or departments changed, signed out); all when no id. */
  forget(userId?: number): void;
};

/** How long a resolved session or token is trusted without asking the database again. */
const CACHE_TTL_MS = 15_000;
const CACHE_MAX = 50_000;

/**
 * Resolves who is calling: `Authorization: Bearer <access JWT>`, `Authorization: Token <api
 * token>` or the web app's session cookie. Every way is re-checked against the database on
 * each request, so a deactivated user or a revoked session stops working at once.
 */
export function createAuthGuard(deps: { executor: SqlExecutor; tokens: TokenService }): AuthGuard {
  const resolved = new WeakMap<FastifyRequest, Promise<TActor | null>>();
  // Changes that must take effect at once (deactivation, logout, role) call forget(), locally and,
  // through the event bus, on every instance; the TTL bounds anything missed.
  const cache = new Map<string, { actor: TActor; expires: number }>();
  const cached = async (key: string, load: () => Promise<TActor>) => {
    const hit = cache.get(key);
    const now = Date.now();
    if (hit && hit.expires > now) return hit.actor;
    const actor = await load();
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(key, { actor, expires: now + CACHE_TTL_MS });
    return actor;
  };

  const toActor = (row: Record<string, unknown> | undefined, sessionId: string | null): TActor => {
    if (!row) throw createInvalidTokenError();
    const r = row as TActorRow;
    return {
      id: Number(r.id),
      role: r.role,
      email: r.email,
      name: r.name,
      language: r.language,
      departmentIds: (r.department_ids ?? []).map(Number),
      queueIds: (r.queue_ids ?? []).map(Number),
      sessionId,
    };
  };

  const bySession = async (token: string, kind: "access" | "session") => {
    const { userId, sessionId } = await deps.tokens.verify(kind, token);
    return cached(`s:${sessionId}:${userId}`, async () => {
      const { rows } = await deps.executor.executeSql(BY_SESSION, [sessionId, userId]);
      return toActor(rows[0], sessionId);
    });
  };

  const resolve = async (request: FastifyRequest): Promise<TActor | null> => {
    const header = request.headers.authorization;
    if (header) {
      const [scheme, value] = header.split(" ", 2);
      if (!value) throw createInvalidTokenError();
      if (/^bearer$/i.test(scheme ?? "")) return bySession(value.trim(), "access");
      if (/^token$/i.test(scheme ?? "")) {
        const hash = sha256Hex(value.trim());
        return cached(`t:${hash}`, async () => {
          const { rows } = await deps.executor.executeSql(BY_API_TOKEN, [hash]);
          return toActor(rows[0], null);
        });
      }
      throw createInvalidTokenError();
    }
    const cookie = request.cookies?.[SESSION_COOKIE];
    if (!cookie) return null;
    // Cookies ride along on cross-site requests: refuse state changes from another origin.
    if (UNSAFE_METHODS.has(request.method)) {
      const origin = request.headers.origin;
      if (origin && originHost(origin) !== request.headers.host) throw createCsrfError();
    }
    return bySession(cookie, "session");
  };

  const optional = (request: FastifyRequest) => {
    let p = resolved.get(request);
    if (!p) {
      p = resolve(request);
      resolved.set(request, p);
    }
    return p;
  };

  const require = async (request: FastifyRequest) => {
    const actor = await optional(request);
    if (!actor) throw createUnauthenticatedError();
    return actor;
  };

  return {
    optional,
    require,
    forget(userId) {
      if (userId === undefined) return cache.clear();
      for (const [key, entry] of cache) if (entry.actor.id === userId) cache.delete(key);
    },
    async requireRole(request, ...roles) {
      const actor = await require(request);
      if (!roles.includes(actor.role)) throw createForbiddenError();
      return actor;
    },
  };
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}
