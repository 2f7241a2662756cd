import type { TLanguage, TRegisterRequest } from "@helpdesk/contracts";
import { and, eq, isNull, sql } from "drizzle-orm";
import { generateToken, hashPassword, sha256Hex, verifyPassword } from "../../platform/crypto.js";
import type { Db } from "../../platform/db/index.js";
import { apiTokens, sessions, users } from "../../platform/db/schema/index.js";
import type { SettingsService } from "../catalog/settings.service.js";
import { findUserByEmail } from "../users/users.repository.js";
import {
  createAccountDisabledError,
  createDomainNotAllowedError,
  createEmailTakenError,
  createInvalidCredentialsError,
  createInvalidTokenError,
  createTooManyAttemptsError,
  createWeakPasswordError,
} from "./auth.errors.js";
import { checkPasswordStrength } from "./auth.password-policy.js";
import type { LoginLimiter } from "./auth.rate-limit.js";
import { REFRESH_TTL_SECONDS, type TokenService } from "./auth.tokens.js";

// Compared against when the e-mail is unknown, so both paths take the same time.
let dummyHash: Promise<string> | undefined;

/** Throws 400 auth.weak_password with reasons when the password is not acceptable. */
export function assertStrongPassword(password: string, person: { email?: string; name?: string }) {
  const reasons = checkPasswordStrength(password, person);
  if (reasons.length > 0) throw createWeakPasswordError(reasons);
}

/** Self-service sign-up: always a requester; limited to the corporate domain when one is set. */
export async function registerRequester(
  deps: { db: Db; settings: SettingsService },
  input: TRegisterRequest,
) {
  const domain = await deps.settings.allowedEmailDomain();
  if (domain && input.email.split("@")[1] !== domain) throw createDomainNotAllowedError(domain);
  assertStrongPassword(input.password, input);
  const language: TLanguage = input.language ?? (await deps.settings.get()).default_language;
  const passwordHash = await hashPassword(input.password);
  const existing = await findUserByEmail(deps.db, input.email);
  if (existing && !existing.isGuest) throw createEmailTakenError();
  if (existing?.isGuest) {
    // A guest contact (created from an inbound e-mail) claims their account and history.
    const [claimed] = await deps.db
      .update(users)
      .set({ name: input.name, passwordHash, language, isGuest: false, updatedAt: new Date() })
      .where(and(eq(users.id, existing.id), eq(users.isGuest, true)))
      .returning();
    if (!claimed) throw createEmailTakenError();
    return claimed;
  }
  const [user] = await deps.db
    .insert(users)
    .values({ email: input.email, name: input.name, passwordHash, role: "requester", language })
    .onConflictDoNothing()
    .returning();
  if (!user) throw createEmailTakenError();
  return user;
}

/** Checks the password (rate limited per IP and e-mail) and opens a session. */
export async function login(
  deps: { db: Db; tokens: TokenService; limiter: LoginLimiter },
  input: { email: string; password: string; ip: string; userAgent?: string },
) {
  const wait = deps.limiter.check(input.ip, input.email);
  if (wait > 0) throw createTooManyAttemptsError(wait);
  const user = await findUserByEmail(deps.db, input.email);
  dummyHash ??= hashPassword("not-a-real-password-0");
  let ok = false;
  if (user?.passwordHash) ok = await verifyPassword(user.passwordHash, input.password);
  else await verifyPassword(await dummyHash, input.password);
  if (!user || !ok) {
    deps.limiter.recordFailure(input.ip, input.email);
    throw createInvalidCredentialsError();
  }
  if (!user.isActive) throw createAccountDisabledError();
  deps.limiter.recordSuccess(input.ip, input.email);
  const session = await openSession(deps, user.id, input);
  return { user, ...session };
}

export async function openSession(
  deps: { db: Db; tokens: TokenService },
  userId: number,
  meta: { ip?: string; userAgent?: string } = {},
) {
  const [session] = await deps.db
    .insert(sessions)
    .values({
      userId,
      expiresAt: new Date(Date.now() + REFRESH_TTL_SECONDS * 1000),
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 300),
    })
    .returning({ id: sessions.id });
  await deps.db.update(users).set({ lastLoginAt: new Date() }).where(eq(users.id, userId));
  const sid = session!.id;
  const [access, refresh, cookie] = await Promise.all([
    deps.tokens.sign("access", userId, sid),
    deps.tokens.sign("refresh", userId, sid),
    deps.tokens.sign("session", userId, sid),
  ]);
  return { access, refresh, cookie, sessionId: sid };
}

/** Exchanges a refresh token for a new access token (and a new refresh token) of the same session. */
export async function refreshSession(deps: { db: Db; tokens: TokenService }, refreshToken: string) {
  const { userId, sessionId } = await deps.tokens.verify("refresh", refreshToken);
  const [row] = await deps.db
    .select({ id: sessions.id })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.id, sessionId),
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        sql`${sessions.expiresAt} > now()`,
        eq(users.isActive, true),
      ),
    );
  if (!row) throw createInvalidTokenError();
  const [access, refresh] = await Promise.all([
    deps.tokens.sign("access", userId, sessionId),
    deps.tokens.sign("refresh", userId, sessionId),
  ]);
  return { access, refresh };
}

export async function revokeSession(db: Db, sessionId: string) {
  await db.update(sessions).set({ revokedAt: new Date() }).where(eq(sessions.id, sessionId));
}

export async function revokeAllSessions(db: Db, userId: number) {
  await db
    .update(sessions)
    .set({ revokedAt: new Date() })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)));
}

/**
 * Seed S3's token auth: checks the password and returns the user's API token, creating it on
 * first use. Only the hash is stored, so a new token replaces the old one.
 */
export async function issueApiToken(
  deps: { db: Db; limiter: LoginLimiter },
  input: { email: string; password: string; ip: string },
) {
  const wait = deps.limiter.check(input.ip, input.email);
  if (wait > 0) throw createTooManyAttemptsError(wait);
  const user = await findUserByEmail(deps.db, input.email);
  if (!user?.passwordHash || !(await verifyPassword(user.passwordHash, input.password))) {
    deps.limiter.recordFailure(input.ip, input.email);
    throw createInvalidCredentialsError();
  }
  if (!user.isActive) throw createAccountDisabledError();
  const token = generateToken();
  await deps.db
    .insert(apiTokens)
    .values({ userId: user.id, tokenHash: sha256Hex(token) })
    .onConflictDoUpdate({
      target: apiTokens.userId,
      set: { tokenHash: sha256Hex(token), createdAt: new Date() },
    });
  return token;
}

export async function changePassword(
  db: Db,
  input: { userId: number; currentPassword: string; newPassword: string; keepSessionId: string | null },
) {
  const [user] = await db.select().from(users).where(eq(users.id, input.userId));
  if (!user?.passwordHash || !(await verifyPassword(user.passwordHash, input.currentPassword))) {
    throw createInvalidCredentialsError();
  }
  assertStrongPassword(input.newPassword, user);
  await db
    .update(users)
    .set({ passwordHash: await hashPassword(input.newPassword), updatedAt: new Date() })
    .where(eq(users.id, user.id));
  // Other sessions end: whoever knew the old password is signed out.
  await db
    .update(sessions)
    .set({ revokedAt: new Date() })
    .where(
      and(
        eq(sessions.userId, user.id),
        isNull(sessions.revokedAt),
        input.keepSessionId ? sql`${sessions.id} <> ${input.keepSessionId}` : sql`true`,
      ),
    );
}
