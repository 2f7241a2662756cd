import { createHash, randomUUID } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import { createInvalidTokenError } from "./auth.errors.js";

export type TTokenKind = "access" | "refresh" | "session";
const TOKEN_KINDS: ReadonlySet<string> = new Set<TTokenKind>(["access", "refresh", "session"]);

export const ACCESS_TTL_SECONDS = 15 * 60;
export const REFRESH_TTL_SECONDS = 30 * 24 * 3600;

export type TVerifiedToken = { userId: number; sessionId: string; jti: string };

export type TokenService = {
  /** Signs a token of a login session; `jti` is given for refresh tokens (rotation), random otherwise. */
  sign(kind: TTokenKind, userId: number, sessionId: string, jti?: string): Promise<string>;
  verify(kind: TTokenKind, token: string): Promise<TVerifiedToken>;
};

/**
 * HS256 JWTs keyed from APP_SECRET. A token is accepted only with every claim we issue: `sub`,
 * `sid`, `jti`, `iat`, `exp` and a known `typ` equal to the kind asked for, so a refresh token
 * is never an access token and a token someone signed without an expiry is refused.
 */
export function createTokenService(appSecret: string): TokenService {
  const key = createHash("sha256").update(`jwt:${appSecret}`).digest();
  const ttl = (kind: TTokenKind) => (kind === "access" ? ACCESS_TTL_SECONDS : REFRESH_TTL_SECONDS);
  // Verifying an HMAC through WebCrypto costs ~80 µs; a token seen before is trusted until it expires.
  const verified = new Map<string, TVerifiedToken & { kind: TTokenKind; exp: number }>();
  return {
    async sign(kind, userId, sessionId, jti) {
      return new SignJWT({ typ: kind, sid: sessionId })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(String(userId))
        .setIssuedAt()
        .setExpirationTime(`${ttl(kind)}s`)
        .setJti(jti ?? randomUUID())
        .sign(key);
    },
    async verify(kind, token) {
      const hit = verified.get(token);
      if (hit && hit.kind === kind && hit.exp * 1000 > Date.now())
        return { userId: hit.userId, sessionId: hit.sessionId, jti: hit.jti };
      let payload: Awaited<ReturnType<typeof jwtVerify>>["payload"];
      try {
        ({ payload } = await jwtVerify(token, key, {
          algorithms: ["HS256"],
          requiredClaims: ["exp", "iat", "sub", "jti"],
        }));
      } catch {
        throw createInvalidTokenError();
      }
      const userId = Number(payload.sub);
      const isWellFormed =
        typeof payload.typ === "string" &&
        TOKEN_KINDS.has(payload.typ) &&
        payload.typ === kind &&
        typeof payload.sid === "string" &&
        typeof payload.jti === "string" &&
        typeof payload.exp === "number" &&
        Number.isSafeInteger(userId) &&
        userId > 0;
      if (!isWellFormed) throw createInvalidTokenError();
      const result = { userId, sessionId: payload.sid as string, jti: payload.jti as string };
      if (verified.size >= 20_000) verified.clear();
      verified.set(token, { ...result, kind, exp: payload.exp as number });
      return result;
    },
  };
}
