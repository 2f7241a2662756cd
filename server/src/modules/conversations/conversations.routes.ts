import { ZBigId, ZMessage } from "@helpdesk/contracts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { AppError, isAppError } from "../../platform/errors.js";
import { listTicketMessages } from "../tickets/messages.repository.js";
import { createMessageNotFoundError } from "../tickets/tickets.errors.js";
import { canSeeInternalNotes } from "../tickets/tickets.policies.js";
import { loadVisibleTicket } from "../tickets/tickets.routes.js";
import { SEND_REPLY_JOB } from "./conversations.outbound.js";
import { requeueOutbound } from "./conversations.repository.js";

/** Staff's "retry" on a reply that did not reach the customer. */
export async function registerConversationRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.post(
    "/api/messages/:id/retry-delivery",
    {
      schema: {
        tags: ["messages"],
        summary: "Send a failed reply to the customer again (staff)",
        params: z.strictObject({ id: ZBigId }),
        response: { 202: ZMessage },
      },
    },
    async (req, reply) => {
      const actor = await ctx.auth.require(req);
      if (!canSeeInternalNotes(actor)) throw createMessageNotFoundError();
      const [m] = await listTicketMessages(ctx.db, actor, { messageId: req.params.id, kind: "message" });
      if (!m) throw createMessageNotFoundError();
      // Staff who may see the ticket may reply on it, and so send a reply again.
      await loadVisibleTicket(ctx.db, actor, m.ticket_id).catch((error: unknown) => {
        throw isAppError(error) ? createMessageNotFoundError() : error;
      });
      const requeued = await requeueOutbound(ctx.db, m.id);
      if (requeued.length === 0) {
        throw new AppError("messages.nothing_to_retry", 409, "This reply is not waiting to be sent again");
      }
      await ctx.jobs
        .send(SEND_REPLY_JOB, { messageId: m.id }, { singletonKey: `reply-${m.id}-retry-${Date.now()}` })
        .catch((error: unknown) =>
          ctx.logger.warn({ err: error, messageId: m.id }, "retry: send failed again"),
        );
      const [fresh] = await listTicketMessages(ctx.db, actor, { messageId: m.id });
      return reply.status(202).send(fresh ?? m);
    },
  );
}
