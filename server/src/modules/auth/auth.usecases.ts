import { randomUUID } from "node:crypto";
import type { TLanguage, TRegisterRequest, TUpdateProfileRequest } from "@helpdesk/contracts";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { EventBus } from "../../platform/bus.js";
import { generateToken, hashPassword, sha256Hex, verifyPassword } from "../../platform/crypto.js";
import type { Db, DbOrTx } from "../../platform/db/index.js";
import { apiTokens, sessions, users } from "../../platform/db/schema/index.js";
import type { SettingsService } from "../catalog/settings.service.js";
import { findUserByEmail, updateUserRow } from "../users/users.repository.js";
import {
  createAccountDisabledError,
  createDomainNotAllowedError,
  createEmailTakenError,
  createInvalidCredentialsError,
  createInvalidTokenError,
  createWeakPasswordError,
  createWrongPasswordError,
} from "./auth.errors.js";
import { accessChanged } from "./auth.guard.js";
import { checkPasswordStrength } from "./auth.password-policy.js";
import type { SignInThrottle, TThrottleScope } from "./auth.throttle.js";
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

/** Checks the password (throttled per account, account + address, and address) and opens a session. */
export async function login(
  deps: { db: Db; tokens: TokenService; throttle: SignInThrottle },
  input: { email: string; password: string; ip: string; userAgent?: string },
) {
  const user = await checkPassword(deps, "login", input);
  if (!user.isActive) throw createAccountDisabledError();
  const session = await openSession(deps, user.id, input);
  return { user, ...session };
}

/**
 * The user whose e-mail and password these are, or 401; every check takes one attempt from
 * the throttle first (429 when there is none left). An unknown e-mail costs the same time.
 */
async function checkPassword(
  deps: { db: Db; throttle: SignInThrottle },
  scope: TThrottleScope,
  input: { email: string; password: string; ip: string },
) {
  const user = await findUserByEmail(deps.db, input.email);
  const attempt = await deps.throttle.begin(scope, user ? `u${user.id}` : null, input.ip);
  dummyHash ??= hashPassword("not-a-real-password-0");
  let ok = false;
  if (user?.passwordHash) ok = await verifyPassword(user.passwordHash, input.password);
  else await verifyPassword(await dummyHash, input.password);
  if (!user || !ok) throw createInvalidCredentialsError();
  await attempt.succeeded();
  return user;
}

export async function openSession(
  deps: { db: Db; tokens: TokenService },
  userId: number,
  meta: { ip?: string; userAgent?: string } = {},
) {
  const refreshJti = randomUUID();
  const [session] = await deps.db
    .insert(sessions)
    .values({
      userId,
      expiresAt: new Date(Date.now() + REFRESH_TTL_SECONDS * 1000),
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 300),
      refreshJti,
    })
    .returning({ id: sessions.id });
  await deps.db.update(users).set({ lastLoginAt: new Date() }).where(eq(users.id, userId));
  const sid = session!.id;
  const [access, refresh, cookie] = await Promise.all([
    deps.tokens.sign("access", userId, sid),
    deps.tokens.sign("refresh", userId, sid, refreshJti),
    deps.tokens.sign("session", userId, sid),
  ]);
  return { access, refresh, cookie, sessionId: sid };
}

/**
 * Exchanges a refresh token for a new access token and a new refresh token of the same
 * session. Refresh tokens are single-use: the session remembers the one that may be used
 * next, and presenting an older one (it was copied and used by someone else, or by us after
 * someone else) ends the whole session, so a stolen refresh token stops working for both.
 */
export async function refreshSession(
  deps: { db: Db; tokens: TokenService; bus: Pick<EventBus, "publish"> },
  refreshToken: string,
) {
  const { userId, sessionId, jti } = await deps.tokens.verify("refresh", refreshToken);
  const nextJti = randomUUID();
  const rotated = await deps.db.execute<{ id: string }>(sql`
    UPDATE sessions s SET refresh_jti = ${nextJti}
    FROM users u
    WHERE s.id = ${sessionId} AND s.user_id = ${userId} AND u.id = s.user_id AND u.is_active
      AND s.revoked_at IS NULL AND s.expires_at > now()
      -- Sessions opened before rotation existed have no current token yet: their first refresh sets it.
      AND (s.refresh_jti = ${jti} OR s.refresh_jti IS NULL)
    RETURNING s.id`);
  if (rotated.rows.length === 0) {
    // A well-signed refresh token of a live session that is not the current one: a replay.
    const ended = await deps.db
      .update(sessions)
      .set({ revokedAt: new Date() })
      .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id });
    if (ended.length > 0) deps.bus.publish(accessChanged(userId));
    throw createInvalidTokenError();
  }
  const [access, refresh] = await Promise.all([
    deps.tokens.sign("access", userId, sessionId),
    deps.tokens.sign("refresh", userId, sessionId, nextJti),
  ]);
  return { access, refresh };
}

export async function revokeSession(db: Db, sessionId: string) {
  await db.update(sessions).set({ revokedAt: new Date() }).where(eq(sessions.id, sessionId));
}

export async function revokeAllSessions(db: DbOrTx, userId: number) {
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
  deps: { db: Db; throttle: SignInThrottle },
  input: { email: string; password: string; ip: string },
) {
  const user = await checkPassword(deps, "login", input);
  if (!user.isActive) throw createAccountDisabledError();
  const token = generateToken();
  await deps.db
    .insert(apiTokens)
    .values({ userId: user.id, tokenHash: sha256Hex(token) })
    .onConflictDoUpdate({
      target: apiTokens.userId,
      // A new id too: whatever held the old token (a socket, a cache) sees that it ended.
      set: { id: sql`gen_random_uuid()`, tokenHash: sha256Hex(token), createdAt: new Date() },
    });
  return { token, userId: user.id };
}

/** Ends a user's API token for good (deactivation): reactivating the user does not revive it. */
export async function revokeApiTokens(db: DbOrTx, userId: number) {
  await db.delete(apiTokens).where(eq(apiTokens.userId, userId));
}

/**
 * Changes the signed-in user's password. The current password is checked under the same
 * throttle as sign-in, so a stolen access token does not allow unlimited guessing.
 */
export async function changePassword(
  deps: { db: Db; throttle: SignInThrottle },
  input: {
    userId: number;
    currentPassword: string;
    newPassword: string;
    keepSessionId: string | null;
    ip: string;
  },
) {
  const { db } = deps;
  const [user] = await db.select().from(users).where(eq(users.id, input.userId));
  if (!user) throw createInvalidCredentialsError();
  const attempt = await deps.throttle.begin("password", `u${user.id}`, input.ip);
  if (!user.passwordHash || !(await verifyPassword(user.passwordHash, input.currentPassword))) {
    throw createWrongPasswordError();
  }
  await attempt.succeeded();
  assertStrongPassword(input.newPassword, { email: user.email ?? undefined, name: user.name });
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

/** The signed-in user changes their own name, language or theme. An empty change writes nothing. */
export async function updateProfile(db: DbOrTx, userId: number, changes: TUpdateProfileRequest) {
  if (Object.values(changes).every((v) => v === undefined)) return;
  await updateUserRow(db, userId, { ...changes, updatedAt: new Date() });
}
