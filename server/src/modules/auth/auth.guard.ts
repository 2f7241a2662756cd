import type { TAccessChangedEvent } from "@helpdesk/contracts";
import type { FastifyRequest } from "fastify";
import { sha256Hex } from "../../platform/crypto.js";
import type { SqlExecutor } from "../../platform/db/index.js";
import { createForbiddenError, createUnauthenticatedError } from "../../platform/errors.js";
import type { TActor } from "./auth.actor.js";
import { createCsrfError, createInvalidTokenError } from "./auth.errors.js";
import { ACTOR_COLUMNS, actorFromRow, type TActorRow } from "./auth.repository.js";
import type { TokenService } from "./auth.tokens.js";

export const SESSION_COOKIE = "hd_session";

/** The event that makes every instance drop cached credentials (of one user, or all). */
export const accessChanged = (userId?: number): TAccessChangedEvent => ({
  type: "access_changed",
  userId: userId ?? null,
  at: new Date().toISOString(),
});

const BY_SESSION = `SELECT ${ACTOR_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id
  WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.is_active`;
const BY_API_TOKEN = `SELECT ${ACTOR_COLUMNS}, t.id::text AS api_token_id FROM api_tokens t JOIN users u ON u.id = t.user_id
  WHERE t.token_hash = $1 AND u.is_active`;

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export type AuthGuard = {
  /** The actor, or null when the request carries no credentials. Bad credentials are a 401. */
  optional(request: FastifyRequest): Promise<TActor | null>;
  /** The actor, or 401. */
  require(request: FastifyRequest): Promise<TActor>;
  /**
   * The actor if the policy `ability` allows them, otherwise 403 (`auth.forbidden` unless the
   * policy's refusal has its own code): `auth.requireAbility(req, canManageUsers)`.
   */
  requireAbility(
    request: FastifyRequest,
    ability: (actor: TActor) => boolean,
    code?: string,
  ): Promise<TActor>;
  /** Drops cached credentials of a user (deactivated, role or departments changed, signed out); all when no id. */
  forget(userId?: number): void;
};

/** How long a resolved session or token is trusted without asking the database again. */
const CACHE_TTL_MS = 15_000;
const CACHE_MAX = 50_000;
/** `users.last_seen_at` is written at most this often per user and process. */
const SEEN_EVERY_MS = 60_000;

/**
 * Resolves who is calling: `Authorization: Bearer <access JWT>`, `Authorization: Token <api
 * token>` or the web app's session cookie. Every way is re-checked against the database on
 * each request, so a deactivated user or a revoked session stops working at once.
 */
export function createAuthGuard(deps: {
  executor: SqlExecutor;
  tokens: TokenService;
  /** Origins whose pages may write with the session cookie (PUBLIC_URL's and configured ones). */
  trustedOrigins: readonly string[];
}): AuthGuard {
  const trusted = new Set(deps.trustedOrigins);
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
    const r = row as TActorRow & { api_token_id?: string };
    const { isActive: _isActive, ...actor } = actorFromRow(r, {
      sessionId,
      apiTokenId: r.api_token_id ?? null,
    });
    return actor;
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
    if (UNSAFE_METHODS.has(request.method) && !isTrustedOrigin(request, trusted)) throw createCsrfError();
    return bySession(cookie, "session");
  };

  // A person signed in and at work (the inbox's "available"): requests with a login session, not
  // API tokens. Best effort: a failed write is tried again with the next request.
  const seen = new Map<number, number>();
  const noteSeen = async (actor: TActor | null) => {
    if (!actor || actor.sessionId === null) return actor;
    const now = Date.now();
    if ((seen.get(actor.id) ?? 0) > now - SEEN_EVERY_MS) return actor;
    if (seen.size >= CACHE_MAX) seen.clear();
    seen.set(actor.id, now);
    await deps.executor
      .executeSql("UPDATE users SET last_seen_at = now() WHERE id = $1", [actor.id])
      .catch(() => seen.delete(actor.id));
    return actor;
  };

  const optional = (request: FastifyRequest) => {
    let p = resolved.get(request);
    if (!p) {
      p = resolve(request).then(noteSeen);
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
    async requireAbility(request, ability, code) {
      const actor = await require(request);
      if (!ability(actor)) throw createForbiddenError(code);
      return actor;
    },
  };
}

/**
 * Whether a cookie-carrying request comes from our own pages. The Origin is compared with the
 * configured origins, never with the request's own Host header (a client that forges both
 * would pass that). Browsers send Origin on every cross-origin write; without one, a
 * `Sec-Fetch-Site: cross-site` still gives a cross-site request away.
 */
export function isTrustedOrigin(request: FastifyRequest, trusted: ReadonlySet<string>): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return request.headers["sec-fetch-site"] !== "cross-site";
  return trusted.has(origin.replace(/\/$/, ""));
}
