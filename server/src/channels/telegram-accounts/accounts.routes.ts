import {
  ZId,
  ZNoContent,
  ZTelegramAccount,
  ZTelegramAccountCreate,
  ZTelegramAccountList,
  ZTelegramAccountUpdate,
  ZTelegramOtp,
  ZTelegramPassword,
} from "@helpdesk/contracts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { canManageChannels } from "../channels.policies.js";
import {
  authenticateTelegramAccount,
  changeTelegramAccount,
  createTelegramAccount,
  getTelegramAccount,
  listTelegramAccounts,
  removeTelegramAccount,
  resendTelegramCode,
  switchTelegramAccount,
  verifyTelegramCode,
  verifyTelegramPassword,
} from "./accounts.usecases.js";

const ZIdParams = z.strictObject({ id: ZId });

/**
 * Telegram accounts, the seed's `/api/accounts/` (admins): bots (token checked with getMe and
 * sealed) and personal accounts; added, changed, started and stopped at run time.
 */
export async function registerTelegramAccountRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { auth } = ctx;
  const tags = ["telegram"];
  const requireAdmin = (req: Parameters<typeof auth.require>[0]) =>
    auth.requireAbility(req, canManageChannels);

  app.get(
    "/api/accounts",
    {
      schema: {
        tags,
        summary: "Telegram bots and personal accounts",
        response: { 200: ZTelegramAccountList },
      },
    },
    async (req) => {
      await requireAdmin(req);
      return listTelegramAccounts(ctx);
    },
  );

  app.post(
    "/api/accounts",
    {
      schema: {
        tags,
        summary: "Add a bot (its token checked with getMe) or a personal account",
        body: ZTelegramAccountCreate,
        response: { 201: ZTelegramAccount },
      },
    },
    async (req, reply) => {
      await requireAdmin(req);
      return reply.code(201).send(await createTelegramAccount(ctx, req.body));
    },
  );

  app.get(
    "/api/accounts/:id",
    {
      schema: {
        tags,
        summary: "One Telegram account",
        params: ZIdParams,
        response: { 200: ZTelegramAccount },
      },
    },
    async (req) => {
      await requireAdmin(req);
      return getTelegramAccount(ctx, req.params.id);
    },
  );

  app.patch(
    "/api/accounts/:id",
    {
      schema: {
        tags,
        summary: "Change an account's name, queue, mode or token (TELEGRAM_BOT_TOKEN's: name and queue)",
        params: ZIdParams,
        body: ZTelegramAccountUpdate,
        response: { 200: ZTelegramAccount },
      },
    },
    async (req) => {
      await requireAdmin(req);
      return changeTelegramAccount(ctx, req.params.id, req.body);
    },
  );

  app.delete(
    "/api/accounts/:id",
    {
      schema: {
        tags,
        summary: "Remove an account (not TELEGRAM_BOT_TOKEN's)",
        params: ZIdParams,
        response: { 204: ZNoContent },
      },
    },
    async (req, reply) => {
      await requireAdmin(req);
      await removeTelegramAccount(ctx, req.params.id);
      return reply.code(204).send(null);
    },
  );

  // A personal account's log-in, every step on one client in this process (see telegram-user.login.ts).
  const loginStep = { tags, params: ZIdParams, response: { 200: ZTelegramAccount } };
  app.post(
    "/api/accounts/:id/authenticate",
    {
      schema: {
        ...loginStep,
        summary: "Log a personal account in: Telegram sends the code (`login` says how)",
      },
    },
    async (req) => {
      await requireAdmin(req);
      return authenticateTelegramAccount(ctx, req.params.id);
    },
  );
  app.post(
    "/api/accounts/:id/resend_code",
    {
      schema: {
        ...loginStep,
        summary: "Send the code again, Telegram's next way (after `login.can_resend_at`)",
      },
    },
    async (req) => {
      await requireAdmin(req);
      return resendTelegramCode(ctx, req.params.id);
    },
  );
  app.post(
    "/api/accounts/:id/verify_otp",
    {
      schema: {
        ...loginStep,
        summary: "The code Telegram sent: logged in, or `login.stage = password` (two-step verification)",
        body: ZTelegramOtp,
      },
    },
    async (req) => {
      await requireAdmin(req);
      return verifyTelegramCode(ctx, req.params.id, req.body.otp_code);
    },
  );
  app.post(
    "/api/accounts/:id/verify_password",
    {
      schema: {
        ...loginStep,
        summary: "The two-step verification password (never stored)",
        body: ZTelegramPassword,
      },
    },
    async (req) => {
      await requireAdmin(req);
      return verifyTelegramPassword(ctx, req.params.id, req.body.password);
    },
  );

  for (const action of ["start", "stop"] as const) {
    app.post(
      `/api/accounts/:id/${action}`,
      {
        schema: {
          tags,
          summary: action === "start" ? "Start the account's receiver" : "Stop the account's receiver",
          params: ZIdParams,
          response: { 200: ZTelegramAccount },
        },
      },
      async (req) => {
        await requireAdmin(req);
        return switchTelegramAccount(ctx, req.params.id, action);
      },
    );
  }
}
