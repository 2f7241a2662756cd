import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { defineJob } from "../../platform/jobs.js";
import type { Processor } from "../../platform/processors.js";
import { fillFreeSlots } from "./inbox.assignment.js";
import { findChatIdByTicket, updateChatsOutbound } from "./inbox.repository.js";

export const FILL_SLOTS_JOB = "inbox.fill-slots";

/**
 * Gives waiting chats to agents with a free slot: queued when a chat's ticket closes or goes
 * (the `inbox` processor; within a moment of the close), and every minute for the rest
 * (an agent signed in again or got a higher limit).
 */
export const createInboxJobs = (ctx: Pick<AppContext, "db" | "bus" | "config" | "logger">) => [
  defineJob({
    name: FILL_SLOTS_JOB,
    payload: z.object({}).passthrough(),
    cron: "* * * * *",
    retryLimit: 2,
    async handler() {
      const given = await fillFreeSlots(ctx);
      if (given > 0) ctx.logger.info({ given }, "inbox: waiting chats assigned");
    },
  }),
];

/**
 * The inbox's reactions to committed ticket events (once per event, in the publishing process):
 * a chat's ticket closed or deleted frees its agent's slot (refill queued); a staff message on a
 * chat's ticket, from any route, becomes the chat's latest message.
 */
export function createInboxProcessor(ctx: AppContext): Processor {
  return {
    name: "inbox",
    events: ["status_changed", "deleted", "message"],
    delivery: "once",
    handle(event) {
      if (event.type === "message") {
        if (event.data.is_internal || event.data.author_role === "requester") return;
        const messageId = Number(event.data.message_id);
        if (!Number.isSafeInteger(messageId)) return;
        return updateChatsOutbound(ctx.db, event.ticketId, messageId);
      }
      if (event.type === "status_changed" && event.data.to !== "closed") return;
      if (event.type !== "status_changed" && event.type !== "deleted") return;
      const refill = async () => {
        // A deleted ticket's chat no longer points at it: refill without asking.
        if (event.type === "status_changed" && (await findChatIdByTicket(ctx.db, event.ticketId)) === null)
          return;
        await ctx.jobs.send(FILL_SLOTS_JOB, {});
      };
      return refill();
    },
  };
}
