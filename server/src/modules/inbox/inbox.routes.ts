import {
  ZAssignChatRequest,
  ZBigId,
  ZChat,
  ZChatIdParams,
  ZChatListQuery,
  ZChatMessage,
  ZChatMessagePage,
  ZChatMessagesQuery,
  ZChatPage,
  ZChatReplyRequest,
  ZMarkChatReadRequest,
} from "@helpdesk/contracts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import {
  assignChat,
  findChat,
  findChatMessages,
  findChats,
  markChatRead,
  replyInChat,
} from "./inbox.usecases.js";

/**
 * Seed S3's inbox: `GET /api/chats/`, `GET /api/messages/by_chat/?chat_id=`, `POST
 * /api/messages/{id}/reply/`, and assignment and read marks. A chat the caller may not see is
 * a 404 (`inbox.chat_not_found`, `messages.not_found`), like a ticket; a refused action on a
 * chat they see is a 403 with its own code.
 */
export async function registerInboxRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { db, auth } = ctx;

  app.get(
    "/api/chats",
    {
      schema: {
        tags: ["inbox"],
        summary: "Chats the caller may see, newest activity first, with the caller's unread counts",
        querystring: ZChatListQuery,
        response: { 200: ZChatPage },
      },
    },
    async (req) => {
      const actor = await auth.require(req);
      const q = req.query;
      return findChats(db, actor, {
        assignee: q.assignee,
        accountId: q.account_id,
        unread: q.unread,
        limit: q.limit,
        cursor: q.cursor,
      });
    },
  );

  app.get(
    "/api/chats/:id",
    { schema: { tags: ["inbox"], params: ZChatIdParams, response: { 200: ZChat } } },
    async (req) => findChat(db, await auth.require(req), req.params.id),
  );

  app.post(
    "/api/chats/:id/assign",
    {
      schema: {
        tags: ["inbox"],
        summary: "Give the chat to an agent (dispatchers and admins)",
        params: ZChatIdParams,
        body: ZAssignChatRequest,
        response: { 200: ZChat },
      },
    },
    async (req) => {
      const actor = await auth.require(req);
      await assignChat(ctx, actor, req.params.id, req.body.user_id);
      return findChat(db, actor, req.params.id);
    },
  );

  app.post(
    "/api/chats/:id/read",
    {
      schema: {
        tags: ["inbox"],
        summary: "Mark the chat read up to its latest message (or `message_id`)",
        params: ZChatIdParams,
        body: ZMarkChatReadRequest.optional(),
        response: { 200: ZChat },
      },
    },
    async (req) => {
      const actor = await auth.require(req);
      await markChatRead(db, actor, req.params.id, req.body?.message_id);
      return findChat(db, actor, req.params.id);
    },
  );

  app.get(
    "/api/messages/by_chat",
    {
      schema: {
        tags: ["inbox"],
        summary: "A chat's public messages, newest first, with direction and delivery state",
        querystring: ZChatMessagesQuery,
        response: { 200: ZChatMessagePage },
      },
    },
    async (req) =>
      findChatMessages(db, await auth.require(req), {
        chatId: req.query.chat_id,
        limit: req.query.limit,
        cursor: req.query.cursor,
      }),
  );

  app.post(
    "/api/messages/:id/reply",
    {
      schema: {
        tags: ["inbox"],
        summary: "Answer in the chat of this message (goes out through the channel)",
        params: z.strictObject({ id: ZBigId }),
        body: ZChatReplyRequest,
        response: { 201: ZChatMessage },
      },
    },
    async (req, reply) => {
      const actor = await auth.require(req);
      const message = await replyInChat(ctx, actor, {
        messageId: req.params.id,
        text: req.body.text,
        attachmentId: req.body.media_path,
      });
      return reply.status(201).send(message);
    },
  );
}
