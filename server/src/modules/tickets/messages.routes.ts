import {
  LIMITS,
  pgText,
  type TMessage,
  ZBigId,
  ZChatMessagePage,
  ZCreateMessageRequest,
  ZId,
  ZMessage,
  ZMessagePage,
  ZNoContent,
  ZPatchMessageRequest,
  ZUpdateMessageRequest,
} from "@helpdesk/contracts";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { createValidationError, isAppError } from "../../platform/errors.js";
import { runIdempotent } from "../../platform/idempotency.js";
import { openMultipartReader } from "../attachments/attachments.multipart.js";
import {
  discardReceivedFiles,
  insertAttachmentRows,
  receiveUploadedFile,
  type TReceivedFile,
} from "../attachments/attachments.usecases.js";
import type { TActor } from "../auth/auth.actor.js";
import { findChatMessages } from "../inbox/inbox.usecases.js";
import { listTicketMessages } from "./messages.repository.js";
import { createMessageNotFoundError, createNoteNotFoundError } from "./tickets.errors.js";
import { canSeeInternalNotes } from "./tickets.policies.js";
import { idempotencyKey, loadVisibleTicket } from "./tickets.routes.js";
import { addMessage, deleteMessage, editMessage } from "./tickets.usecases.js";

const ZMessageIdParams = z.strictObject({ id: ZBigId });
const ZMessageListQuery = z.strictObject({ ticket_id: ZBigId });
/** `/api/messages/` also lists a chat's messages (`chat_id`: the same answer as `by_chat`). */
const ZPublicMessageListQuery = z.union([
  ZMessageListQuery,
  z.strictObject({
    chat_id: ZId,
    limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(50),
    cursor: pgText().max(200).optional(),
  }),
]);

/**
 * Seed S4's `/messages/` (public replies) and `/notes/` (internal, staff only) CRUD. A message
 * can also be posted as multipart/form-data with files.
 */
export async function registerMessageRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { db, auth } = ctx;

  for (const kind of ["messages", "notes"] as const) {
    const isInternal = kind === "notes";
    const notFound = isInternal ? createNoteNotFoundError : createMessageNotFoundError;
    const requireActor = async (req: FastifyRequest) => {
      const actor = await auth.require(req);
      // Requesters get the same 404 for notes as for anything they may not see.
      if (isInternal && !canSeeInternalNotes(actor)) throw notFound();
      return actor;
    };
    const findOne = async (actor: TActor, id: number) => {
      const [m] = await listTicketMessages(db, actor, {
        messageId: id,
        kind: isInternal ? "note" : "message",
      });
      if (!m) throw notFound();
      await loadVisibleTicket(db, actor, m.ticket_id).catch((error: unknown) => {
        // Not visible is not found; a database outage stays a 503.
        throw isAppError(error) ? notFound() : error;
      });
      return m;
    };

    app.get(
      `/api/${kind}`,
      {
        schema: {
          tags: [kind],
          summary: isInternal
            ? "List notes of a ticket"
            : "List messages of a ticket (or of a chat: `chat_id`)",
          querystring: isInternal ? ZMessageListQuery : ZPublicMessageListQuery,
          response: { 200: isInternal ? ZMessagePage : z.union([ZMessagePage, ZChatMessagePage]) },
        },
      },
      async (req) => {
        const actor = await requireActor(req);
        const query = req.query as z.infer<typeof ZPublicMessageListQuery>;
        if ("chat_id" in query) {
          return findChatMessages(db, actor, {
            chatId: query.chat_id,
            limit: query.limit,
            cursor: query.cursor,
          });
        }
        await loadVisibleTicket(db, actor, query.ticket_id);
        const results = await listTicketMessages(db, actor, {
          ticketId: query.ticket_id,
          kind: isInternal ? "note" : "message",
        });
        return { results, next: null };
      },
    );

    app.post(
      `/api/${kind}`,
      {
        schema: {
          tags: [kind],
          summary: isInternal
            ? "Add an internal note (staff only; never shown to requesters)"
            : "Reply on a ticket (JSON, or multipart/form-data with `ticket_id`, `text` and files)",
          body: ZCreateMessageRequest,
          response: { 201: ZMessage },
        },
        // A multipart body reaches the handler as undefined and is parsed there.
        validatorCompiler: (route) => {
          const validate = validatorCompiler(route as never);
          return (data: unknown) => (data == null ? { value: undefined } : validate(data));
        },
      },
      async (req, reply) => {
        const actor = await requireActor(req);
        const form = req.isMultipart() ? await readMultipartMessage(ctx, req, reply) : undefined;
        const body = form?.fields ?? req.body;
        if (!body) throw createValidationError([{ path: "body", message: "required" }]);
        const files = form?.files ?? [];
        const result = await runIdempotent(
          ctx,
          { userId: actor.id, scope: `${kind}.create`, key: idempotencyKey(req) },
          async (tx, emit) => {
            // The files' rows are written with the message: a failed message leaves none behind.
            const uploaded = await insertAttachmentRows(tx, actor, files);
            const id = await addMessage(tx, emit, actor, {
              ticketId: body.ticket_id,
              text: body.text,
              isInternal,
              attachmentIds: [...body.attachment_ids, ...uploaded.map((a) => a.id)],
            });
            const [m] = await listTicketMessages(tx, actor, { messageId: id });
            return { statusCode: 201, body: m };
          },
        ).catch(async (error: unknown) => {
          await discardReceivedFiles(ctx, files);
          throw error;
        });
        // A replay answers with the first message; these files were not used.
        if (result.replayed) await discardReceivedFiles(ctx, files);
        return reply.status(201).send(result.body as TMessage);
      },
    );

    app.get(
      `/api/${kind}/:id`,
      { schema: { tags: [kind], params: ZMessageIdParams, response: { 200: ZMessage } } },
      async (req) => findOne(await requireActor(req), req.params.id),
    );

    const editHandler = async (req: FastifyRequest<{ Params: { id: number }; Body: { text?: string } }>) => {
      const actor = await requireActor(req);
      const m = await findOne(actor, req.params.id);
      const edited = await editMessage(ctx, actor, m, req.body.text, isInternal);
      return edited ? findOne(actor, m.id) : m;
    };
    app.patch(
      `/api/${kind}/:id`,
      {
        schema: {
          tags: [kind],
          params: ZMessageIdParams,
          body: ZPatchMessageRequest,
          response: { 200: ZMessage },
        },
      },
      editHandler,
    );
    app.put(
      `/api/${kind}/:id`,
      {
        schema: {
          tags: [kind],
          params: ZMessageIdParams,
          body: ZUpdateMessageRequest,
          response: { 200: ZMessage },
        },
      },
      editHandler,
    );

    app.delete(
      `/api/${kind}/:id`,
      { schema: { tags: [kind], params: ZMessageIdParams, response: { 204: ZNoContent } } },
      async (req, reply) => {
        const actor = await requireActor(req);
        const m = await findOne(actor, req.params.id);
        await deleteMessage(ctx, actor, m, isInternal);
        return reply.status(204).send(null);
      },
    );
  }
}

const ZMultipartFields = z.strictObject({
  ticket_id: ZBigId,
  text: pgText().trim().min(1).max(LIMITS.messageMax),
});

/**
 * Reads `ticket_id`, `text` and up to LIMITS.attachmentsPerItem files from a multipart body. The
 * files are in storage but have no rows yet; on any failure none is left behind.
 */
async function readMultipartMessage(ctx: AppContext, req: FastifyRequest, reply: FastifyReply) {
  const fields: Record<string, string> = {};
  const files: TReceivedFile[] = [];
  const reader = openMultipartReader(req, reply, {
    stallMs: ctx.config.timeouts.uploadStallMs,
    limits: { files: LIMITS.attachmentsPerItem, fileSize: LIMITS.uploadMaxBytes },
  });
  try {
    for await (const part of reader.parts()) {
      if (part.type === "file") files.push(await receiveUploadedFile(ctx, part, reader));
      else if (typeof part.value === "string") fields[part.fieldname] = part.value;
      reader.rest();
    }
    const parsed = ZMultipartFields.safeParse(fields);
    if (!parsed.success) {
      throw createValidationError(
        parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message, code: i.code })),
      );
    }
    return { fields: { ...parsed.data, attachment_ids: [] as string[] }, files };
  } catch (error) {
    await discardReceivedFiles(ctx, files);
    throw error;
  } finally {
    reader.close();
  }
}
