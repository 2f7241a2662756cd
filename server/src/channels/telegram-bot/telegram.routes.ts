import { ZNoContent, ZTelegramLink, ZTelegramLinkState } from "@helpdesk/contracts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { AppContext } from "../../app-context.js";
import { createTelegramLink, getTelegramLinkState, unlinkTelegram } from "./telegram.linking.js";

/**
 * The profile's Telegram link, for every signed-in person (requesters and staff alike): its
 * state, a new one-time deep link, and unlinking.
 */
export async function registerTelegramLinkRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { auth } = ctx;
  const tags = ["telegram"];

  app.get(
    "/api/auth/profile/telegram",
    {
      schema: {
        tags,
        summary: "My Telegram link: whether one can be made, and what is linked",
        response: { 200: ZTelegramLinkState },
      },
    },
    async (req) => getTelegramLinkState(ctx, (await auth.require(req)).id),
  );

  app.post(
    "/api/auth/profile/telegram/link",
    {
      schema: {
        tags,
        summary: "A one-time deep link to the bot (15 minutes) that links my Telegram to this account",
        response: { 200: ZTelegramLink },
      },
    },
    async (req) => {
      const link = await createTelegramLink(ctx, (await auth.require(req)).id);
      return { ...link, expires_at: link.expires_at.toISOString() };
    },
  );

  app.delete(
    "/api/auth/profile/telegram",
    {
      schema: {
        tags,
        summary: "Unlink my Telegram (no more notifications there)",
        response: { 204: ZNoContent },
      },
    },
    async (req, reply) => {
      await unlinkTelegram(ctx, (await auth.require(req)).id);
      return reply.code(204).send(null);
    },
  );
}
