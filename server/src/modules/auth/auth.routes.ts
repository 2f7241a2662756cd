import {
  LIMITS,
  pgText,
  ZApiTokenResponse,
  ZChangePasswordRequest,
  ZLoginRequest,
  ZLoginResponse,
  ZNoContent,
  ZRegisterRequest,
  ZTokenPair,
  ZUpdateProfileRequest,
  ZUser,
} from "@helpdesk/contracts";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { presentUser } from "../users/users.presenter.js";
import { getUser } from "../users/users.usecases.js";
import { accessChanged, SESSION_COOKIE } from "./auth.guard.js";
import { REFRESH_TTL_SECONDS } from "./auth.tokens.js";
import {
  changePassword,
  issueApiToken,
  login,
  refreshSession,
  registerRequester,
  revokeSession,
  updateProfile,
} from "./auth.usecases.js";

export async function registerAuthRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { db, auth } = ctx;

  const setSessionCookie = (reply: FastifyReply, value: string) =>
    reply.setCookie(SESSION_COOKIE, value, {
      httpOnly: true,
      sameSite: "lax",
      secure: ctx.config.publicUrl.startsWith("https://"),
      path: "/",
      maxAge: REFRESH_TTL_SECONDS,
    });

  app.post(
    "/api/auth/register",
    {
      schema: {
        tags: ["auth"],
        summary: "Register a requester account",
        body: ZRegisterRequest,
        response: { 201: ZUser },
      },
    },
    async (req, reply) => {
      const user = await registerRequester(ctx, req.body);
      return reply.status(201).send(presentUser(user, []));
    },
  );

  app.post(
    "/api/auth/login",
    {
      schema: {
        tags: ["auth"],
        summary: "Sign in: JWT access + refresh, and the web session cookie",
        body: ZLoginRequest,
        response: { 200: ZLoginResponse },
      },
    },
    async (req, reply) => {
      const result = await login(
        { db, tokens: ctx.tokens, throttle: ctx.throttle },
        { ...req.body, ip: req.ip, userAgent: req.headers["user-agent"] },
      );
      setSessionCookie(reply, result.cookie);
      return { access: result.access, refresh: result.refresh, user: await getUser(db, result.user.id) };
    },
  );

  app.post(
    "/api/auth/refresh",
    {
      schema: {
        tags: ["auth"],
        summary: "A new access and refresh token for a refresh token (single use)",
        body: z.strictObject({ refresh: pgText().min(1).max(2000) }),
        response: { 200: ZTokenPair },
      },
    },
    async (req) => refreshSession(ctx, req.body.refresh),
  );

  app.post(
    "/api/auth/logout",
    {
      schema: {
        tags: ["auth"],
        summary: "End the session (of the bearer token, the cookie, or the given refresh token)",
        body: z.strictObject({ refresh: pgText().min(1).max(2000).optional() }).nullish(),
        response: { 204: ZNoContent },
      },
    },
    async (req, reply) => {
      let session: { id: string; userId: number } | null = null;
      if (req.body?.refresh) {
        const verified = await ctx.tokens.verify("refresh", req.body.refresh);
        session = { id: verified.sessionId, userId: verified.userId };
      } else {
        const actor = await auth.optional(req);
        if (actor?.sessionId) session = { id: actor.sessionId, userId: actor.id };
      }
      if (session) {
        await revokeSession(db, session.id);
        ctx.bus.publish(accessChanged(session.userId));
      }
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
      return reply.status(204).send(null);
    },
  );

  app.get(
    "/api/auth/profile",
    { schema: { tags: ["auth"], summary: "The signed-in user", response: { 200: ZUser } } },
    async (req) => {
      const actor = await auth.require(req);
      return getUser(db, actor.id);
    },
  );

  app.patch(
    "/api/auth/profile",
    {
      schema: {
        tags: ["auth"],
        summary: "Update own name, language, theme",
        body: ZUpdateProfileRequest,
        response: { 200: ZUser },
      },
    },
    async (req) => {
      const actor = await auth.require(req);
      await updateProfile(db, actor.id, req.body);
      return getUser(db, actor.id);
    },
  );

  app.post(
    "/api/auth/password",
    {
      schema: {
        tags: ["auth"],
        summary: "Change own password (401 auth.wrong_password when the current one is wrong)",
        body: ZChangePasswordRequest,
        response: { 204: ZNoContent },
      },
    },
    async (req, reply) => {
      const actor = await auth.require(req);
      await changePassword(ctx, {
        ip: req.ip,
        userId: actor.id,
        currentPassword: req.body.current_password,
        newPassword: req.body.new_password,
        keepSessionId: actor.sessionId,
      });
      ctx.bus.publish(accessChanged(actor.id));
      return reply.status(204).send(null);
    },
  );

  app.post(
    "/api/api-token-auth",
    {
      schema: {
        tags: ["auth"],
        summary: "API token for integrations (seed S3): use as `Authorization: Token <token>`",
        body: z
          .strictObject({
            username: pgText().trim().toLowerCase().min(1).max(LIMITS.emailMax).optional(),
            email: pgText().trim().toLowerCase().min(1).max(LIMITS.emailMax).optional(),
            password: pgText().min(1).max(LIMITS.passwordMax),
          })
          .refine((b) => b.username || b.email, { message: "username or email is required" }),
        response: { 200: ZApiTokenResponse },
      },
    },
    async (req) => {
      const email = (req.body.email ?? req.body.username)!;
      const { token, userId } = await issueApiToken(ctx, { email, password: req.body.password, ip: req.ip });
      // The user's previous token ends: sockets and caches holding it let go.
      ctx.bus.publish(accessChanged(userId));
      return { token };
    },
  );
}
