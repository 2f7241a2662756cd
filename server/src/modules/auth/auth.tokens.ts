import { createHash } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import { createInvalidTokenError } from "./auth.errors.js";

export type TTokenKind = "access" | "refresh" | "session";

export const ACCESS_TTL_SECONDS = 15 * 60;
export const REFRESH_TTL_SECONDS = 30 * 24 * 3600;

export type TokenService = {
  sign(kind: TTokenKind, userId: number, sessionId: string): Promise<string>;
  verify(kind: TTokenKind, token: string): Promise<{ userId: number; sessionId: string }>;
};

/** HS256 JWTs keyed from APP_SECRET; the `typ` claim keeps refresh tokens from being used as access tokens. */
export function createTokenService(appSecret: string): TokenService {
  const key = createHash("sha256").update(`jwt:${appSecret}`).digest();
  const ttl = (kind: TTokenKind) => (kind === "access" ? ACCESS_TTL_SECONDS : REFRESH_TTL_SECONDS);
  // Verifying an HMAC through WebCrypto costs ~80 µs; a token seen before is trusted until it expires.
  const verified = new Map<string, { kind: TTokenKind; userId: number; sessionId: string; exp: number }>();
  return {
    async sign(kind, userId, sessionId) {
      return new SignJWT({ typ: kind, sid: sessionId })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(String(userId))
        .setIssuedAt()
        .setExpirationTime(`${ttl(kind)}s`)
        .setJti(crypto.randomUUID())
        .sign(key);
    },
    async verify(kind, token) {
      const hit = verified.get(token);
      if (hit && hit.kind === kind && hit.exp * 1000 > Date.now())
        return { userId: hit.userId, sessionId: hit.sessionId };
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"] });
        const userId = Number(payload.sub);
        if (payload.typ !== kind || typeof payload.sid !== "string" || !Number.isInteger(userId)) {
          throw createInvalidTokenError();
        }
        if (verified.size >= 20_000) verified.clear();
        verified.set(token, { kind, userId, sessionId: payload.sid, exp: payload.exp ?? 0 });
        return { userId, sessionId: payload.sid };
      } catch {
        throw createInvalidTokenError();
      }
    },
  };
}
