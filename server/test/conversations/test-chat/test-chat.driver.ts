import { eq } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../../src/app-context.js";
import { defineChannelDriver, type TOutboundReply } from "../../../src/channels/channel-driver.js";
import { ingestInbound } from "../../../src/modules/conversations/conversations.inbound.js";
import { channelAccounts } from "../../../src/platform/db/schema/index.js";

/**
 * A second channel that lives entirely in this folder, as a real one would in
 * `server/src/channels/<name>/`: a webhook brings messages in through `ingestInbound`, and
 * `sendReply` carries staff replies out. Nothing outside this folder knows it exists.
 */
export function createTestChatDriver() {
  const sent: TOutboundReply[] = [];
  const state = { failuresLeft: 0 };
  const ZUpdate = z.strictObject({
    update_id: z.number().int(),
    chat_id: z.string().min(1),
    from_name: z.string().min(1),
    text: z.string().max(4000),
    file: z.strictObject({ name: z.string(), base64: z.string() }).optional(),
    /** A `channel_accounts` row of kind test-chat: with one, each chat is an inbox chat. */
    account_id: z.number().int().optional(),
  });
  const driver = defineChannelDriver({
    name: "test-chat",
    chat: true,
    accountConfig: z.object({}),
    async routes(root: FastifyInstance, ctx: AppContext) {
      const app = root.withTypeProvider<ZodTypeProvider>();
      app.post(
        "/api/channels/test-chat/webhook",
        {
          schema: {
            body: ZUpdate,
            response: { 200: z.object({ status: z.string(), ticket_id: z.number().nullable() }) },
          },
        },
        async (req) => {
          const u = req.body;
          const [account] =
            u.account_id === undefined
              ? []
              : await ctx.db.select().from(channelAccounts).where(eq(channelAccounts.id, u.account_id));
          const result = await ingestInbound(ctx, {
            channel: "test-chat",
            accountId: account?.id ?? null,
            externalId: `update-${u.update_id}`,
            from: { externalId: u.chat_id, displayName: u.from_name, language: "en" },
            subject: u.text.split("\n")[0]!.slice(0, 80),
            text: u.text,
            files: u.file ? [{ bytes: Buffer.from(u.file.base64, "base64"), filename: u.file.name }] : [],
            thread: { externalThreadId: u.chat_id },
            queueId: account?.queueId ?? null,
            source: "widget",
          });
          return { status: result.status, ticket_id: result.ticketId ?? null };
        },
      );
    },
    async sendReply(_ctx, reply) {
      if (state.failuresLeft > 0) {
        state.failuresLeft -= 1;
        throw new Error("chat service unavailable");
      }
      sent.push(reply);
      return { externalId: `chat-msg-${sent.length}` };
    },
  });
  return { driver, sent, state };
}
