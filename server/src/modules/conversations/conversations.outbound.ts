import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { defineJob, type JobDefinition } from "../../platform/jobs.js";
import type { Processor } from "../../platform/processors.js";
import {
  ensureOutbound,
  findContact,
  findReplyBinding,
  findReplyFacts,
  markAttemptFailed,
  markSent,
  ticketsWithBinding,
} from "./conversations.repository.js";

export const SEND_REPLY_JOB = "conversations.send-reply";
/** Attempts per round (pg-boss retries with exponential backoff between them). */
export const MAX_SEND_ATTEMPTS = 5;

/**
 * A public staff message on a ticket that came in on a channel goes back to the customer on
 * that channel, whatever their notification preferences: it is the answer to their request,
 * not a notification. Queued once per event by the process that published it, and only for
 * tickets that have a channel binding (a ticket filed on the web has nothing to send).
 */
export function createConversationsProcessor(ctx: AppContext): Processor {
  return {
    name: "conversations",
    events: ["message"],
    delivery: "once",
    handle(event) {
      if (event.type !== "message" || event.data.is_internal) return;
      if (event.data.author_role === "requester") return;
      const messageId = Number(event.data.message_id);
      if (!Number.isInteger(messageId)) return;
      const queue = async () => {
        if ((await ticketsWithBinding(ctx.db, [event.ticketId])).size === 0) return;
        await ctx.jobs.send(SEND_REPLY_JOB, { messageId }, { singletonKey: `reply-${messageId}` });
      };
      return queue().catch((error: unknown) =>
        ctx.logger.warn({ err: error, messageId }, "conversations: could not queue a reply"),
      );
    },
  };
}

export function createConversationJobs(ctx: AppContext): JobDefinition[] {
  return [
    defineJob({
      name: SEND_REPLY_JOB,
      payload: z.object({ messageId: z.number().int().positive() }),
      retryLimit: MAX_SEND_ATTEMPTS - 1,
      async handler({ messageId }) {
        await sendReply(ctx, messageId);
      },
    }),
  ];
}

/**
 * Sends one staff message through the ticket's binding and records the outcome. A failure is
 * recorded (`retrying`, then `failed` after the last attempt) and thrown so the job is retried.
 */
export async function sendReply(ctx: AppContext, messageId: number): Promise<"sent" | "none" | "already"> {
  const facts = await findReplyFacts(ctx.db, messageId);
  if (!facts || facts.isInternal) return "none";
  const binding = await findReplyBinding(ctx.db, facts.ticketId);
  if (!binding) return "none"; // Filed on the web: the requester reads it there (and is notified).
  const outbound = await ensureOutbound(ctx.db, messageId, binding);
  if (outbound.state === "sent") return "already";
  try {
    const driver = ctx.channels.get(binding.channel);
    if (!driver?.sendReply) throw new Error(`no channel driver sends replies on ${binding.channel}`);
    const contact = await findContact(ctx.db, binding.contactUserId);
    if (!contact) throw new Error("the contact is gone");
    const sent = await driver.sendReply(ctx, {
      binding: {
        id: binding.id,
        channel: binding.channel,
        accountId: binding.accountId,
        externalThreadId: binding.externalThreadId,
      },
      contact,
      ticket: { id: facts.ticketId, title: facts.ticketTitle },
      message: { id: facts.id, text: facts.text, authorName: facts.authorName },
    });
    await markSent(ctx.db, outbound.id, sent.externalId);
    return "sent";
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const final = outbound.attempts + 1 >= MAX_SEND_ATTEMPTS;
    await markAttemptFailed(ctx.db, outbound.id, message, final);
    ctx.logger.warn({ err: error, messageId, channel: binding.channel, final }, "reply not sent");
    throw error;
  }
}
