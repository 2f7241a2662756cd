import {
  type TTicketListQuery,
  ZAssignTicketRequest,
  ZCreateTicketRequest,
  ZExecuteTicketRequest,
  ZMessagePage,
  ZNoContent,
  ZTicketHistoryEvent,
  ZTicketListQuery,
  ZUpdateTicketRequest,
} from "@helpdesk/contracts";
import { type SQL, sql } from "drizzle-orm";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import type { DbOrTx } from "../../platform/db/index.js";
import { createForbiddenError, isAppError } from "../../platform/errors.js";
import { runIdempotent } from "../../platform/idempotency.js";
import type { TActor } from "../auth/auth.actor.js";
import { listTicketHistory, listTicketMessages } from "./messages.repository.js";
import { createTicketNotFoundError } from "./tickets.errors.js";
import {
  canListAllTickets,
  canListAssignedToMe,
  canSeeInternalNotes,
  canViewTicket,
} from "./tickets.policies.js";
import { presentTicket } from "./tickets.presenter.js";
import { findTicketRow, listTickets, type TTicketAttachmentRow } from "./tickets.repository.js";
import { ZTicket, ZTicketIdParams, ZTicketPage } from "./tickets.schemas.js";
import { assignTicket, createTicket, deleteTicket, executeTicket, updateTicket } from "./tickets.usecases.js";

/** Loads a ticket the actor may see, or 404 (never 403: existence is not revealed). */
export async function loadVisibleTicket(db: DbOrTx, actor: TActor, id: number, withAttachments = false) {
  const row = await findTicketRow(db, id, { attachments: withAttachments });
  if (
    !row ||
    !canViewTicket(actor, {
      ...row,
      requesterId: row.requester_id,
      assigneeId: row.assignee_id,
      queueId: row.queue_id,
    })
  ) {
    throw createTicketNotFoundError();
  }
  const ticket = presentTicket(row, actor);
  if (!withAttachments) return ticket;
  return { ...ticket, attachments: presentTicketAttachments(row.attachments ?? [], actor) };
}

/** Files of a ticket as the API shows them; files of internal notes only to staff. */
function presentTicketAttachments(rows: TTicketAttachmentRow[], actor: TActor) {
  return rows
    .filter((a) => !a.is_internal || canSeeInternalNotes(actor))
    .map((a) => ({
      id: a.id,
      filename: a.filename,
      content_type: a.content_type,
      size: Number(a.size),
      url: `/api/attachments/${a.id}/`,
      created_at: new Date(a.created_at).toISOString(),
      message_id: a.message_id === null ? null : Number(a.message_id),
    }));
}

export async function registerTicketRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { db, auth } = ctx;

  const list = async (actor: TActor, query: TTicketListQuery, fixed?: SQL) => {
    const page = await listTickets(db, actor, { ...query, fixed });
    return {
      results: page.rows.map((r) => presentTicket(r, actor)),
      next: page.next,
      // A search with no word matches ran on the nearest known words instead ("did you mean").
      ...(page.corrected ? { corrected_query: page.corrected } : {}),
    };
  };
  const listSchema = (summary: string) => ({
    tags: ["tickets"],
    summary,
    querystring: ZTicketListQuery,
    response: { 200: ZTicketPage },
  });

  app.get(
    "/api/tickets",
    { schema: listSchema("Tickets the caller may see, filtered and searched") },
    async (req) => list(await auth.require(req), req.query),
  );
  app.get("/api/tickets/my-tickets", { schema: listSchema("My requests (seed S2)") }, async (req) => {
    const actor = await auth.require(req);
    return list(actor, req.query, sql`t.requester_id = ${actor.id}`);
  });
  app.get(
    "/api/tickets/assigned-to-me",
    { schema: listSchema("Assigned to me (seed S2, executors)") },
    async (req) => {
      const actor = await auth.requireAbility(req, canListAssignedToMe);
      return list(actor, req.query, sql`t.assignee_id = ${actor.id}`);
    },
  );
  app.get(
    "/api/tickets/all-tickets",
    { schema: listSchema("All tickets (seed S2, operators and admins)") },
    async (req) => list(await auth.requireAbility(req, canListAllTickets), req.query),
  );

  app.post(
    "/api/tickets",
    {
      schema: {
        tags: ["tickets"],
        summary: "File a ticket. Send an Idempotency-Key header to make retries safe.",
        body: ZCreateTicketRequest,
        response: { 201: ZTicket },
      },
    },
    async (req, reply) => {
      const actor = await auth.require(req);
      // Read before the transaction: the embedded database has one connection.
      const catalog = await ctx.catalog.get();
      const result = await runIdempotent(
        ctx,
        { userId: actor.id, scope: "tickets.create", key: idempotencyKey(req) },
        async (tx, emit) => {
          const id = await createTicket(
            tx,
            emit,
            actor,
            req.body,
            actor.role === "requester" ? "web" : "api",
            catalog,
          );
          return {
            statusCode: 201,
            body: await loadCreatedTicket(tx, actor, id, req.body.attachment_ids.length > 0),
          };
        },
      );
      if (result.replayed) reply.header("Idempotent-Replayed", "true");
      return reply.status(201).send(result.body as never);
    },
  );

  app.get(
    "/api/tickets/:id",
    { schema: { tags: ["tickets"], params: ZTicketIdParams, response: { 200: ZTicket } } },
    async (req) => loadVisibleTicket(db, await auth.require(req), req.params.id, true),
  );

  const updateHandler = async (
    req: FastifyRequest<{ Params: { id: number }; Body: typeof ZUpdateTicketRequest._output }>,
  ) => {
    const actor = await auth.require(req);
    await updateTicket(ctx, actor, req.params.id, req.body);
    return loadVisibleTicketOrGone(actor, req.params.id);
  };
  const updateSchema = {
    tags: ["tickets"],
    params: ZTicketIdParams,
    body: ZUpdateTicketRequest,
    response: { 200: ZTicket },
  };
  app.patch(
    "/api/tickets/:id",
    { schema: { ...updateSchema, summary: "Change fields, status, assignee" } },
    updateHandler,
  );
  app.put("/api/tickets/:id", { schema: { ...updateSchema, summary: "Same as PATCH" } }, updateHandler);

  /** After a change the actor may no longer see the ticket (moved to another queue): answer with what we can. */
  const loadVisibleTicketOrGone = async (actor: TActor, id: number) => {
    try {
      return await loadVisibleTicket(db, actor, id, true);
    } catch (error) {
      // A database outage stays a 503 (the change is saved; retrying it is harmless).
      if (!isAppError(error)) throw error;
      throw createForbiddenError(
        "tickets.no_longer_visible",
        "Saved; the ticket is no longer visible to you",
      );
    }
  };

  app.delete(
    "/api/tickets/:id",
    { schema: { tags: ["tickets"], params: ZTicketIdParams, response: { 204: ZNoContent } } },
    async (req, reply) => {
      const actor = await auth.require(req);
      await loadVisibleTicket(db, actor, req.params.id);
      await deleteTicket(ctx, actor, req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    "/api/tickets/:id/assign",
    {
      schema: {
        tags: ["tickets"],
        summary: "Assign an executor (seed S2; operators and admins)",
        params: ZTicketIdParams,
        body: ZAssignTicketRequest,
        response: { 200: ZTicket },
      },
    },
    async (req) => {
      const actor = await auth.require(req);
      await assignTicket(ctx, actor, req.params.id, req.body.executor_id);
      return loadVisibleTicketOrGone(actor, req.params.id);
    },
  );

  app.post(
    "/api/tickets/:id/execute",
    {
      schema: {
        tags: ["tickets"],
        summary: "Complete and close the ticket (seed S2; the assigned executor)",
        params: ZTicketIdParams,
        body: ZExecuteTicketRequest.nullish(),
        response: { 200: ZTicket },
      },
    },
    async (req) => {
      const actor = await auth.require(req);
      await executeTicket(ctx, actor, req.params.id, req.body?.comment || undefined);
      return loadVisibleTicket(db, actor, req.params.id, true);
    },
  );

  app.get(
    "/api/tickets/:id/messages",
    {
      schema: {
        tags: ["tickets"],
        summary: "Conversation: replies, and notes for staff",
        params: ZTicketIdParams,
        response: { 200: ZMessagePage },
      },
    },
    async (req) => {
      const actor = await auth.require(req);
      await loadVisibleTicket(db, actor, req.params.id);
      return { results: await listTicketMessages(db, actor, { ticketId: req.params.id }), next: null };
    },
  );

  app.get(
    "/api/tickets/:id/history",
    {
      schema: {
        tags: ["tickets"],
        summary: "Every change: who, what, when",
        params: ZTicketIdParams,
        response: { 200: z.object({ results: z.array(ZTicketHistoryEvent), next: z.null() }) },
      },
    },
    async (req) => {
      const actor = await auth.require(req);
      await loadVisibleTicket(db, actor, req.params.id);
      return { results: await listTicketHistory(db, actor, req.params.id), next: null };
    },
  );
}

/** The creator always gets their new ticket back, even one filed into a queue they do not work. */
async function loadCreatedTicket(tx: DbOrTx, actor: TActor, id: number, hasAttachments: boolean) {
  const row = await findTicketRow(tx, id, { attachments: hasAttachments });
  if (!row) throw createTicketNotFoundError();
  return {
    ...presentTicket(row, actor),
    attachments: presentTicketAttachments(row.attachments ?? [], actor),
  };
}

export function idempotencyKey(req: FastifyRequest): string | undefined {
  const value = req.headers["idempotency-key"];
  return Array.isArray(value) ? value[0] : value;
}
