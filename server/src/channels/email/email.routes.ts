import {
  INBOUND_STATUSES,
  pgText,
  ZId,
  ZInboundPage,
  ZMailbox,
  ZMailboxList,
  ZMailboxTestResult,
  ZNoContent,
  ZOutboxPage,
  ZSmtpSettings,
  ZTestMailResult,
} from "@helpdesk/contracts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { findInboundItems } from "../../modules/conversations/conversations.repository.js";
import { decodeCursor, encodeCursor, isIdCursor } from "../../platform/http.js";
import { EMAIL_CHANNEL, findMailboxes } from "./email.accounts.js";
import { canManageEmailChannel } from "./email.policies.js";
import { presentInboundMail, presentMailbox, presentOutboxMail } from "./email.presenter.js";
import { findOutbox } from "./email.repository.js";
import {
  changeMailbox,
  createMailbox,
  getMailbox,
  getSmtpSettings,
  removeMailbox,
  saveSmtpSettings,
  sendTestMail,
  testMailbox,
} from "./email.usecases.js";

/** Outbox and inbound-log ids are bigint. */
const isLogCursor = isIdCursor(Number.MAX_SAFE_INTEGER);
const ZIdParams = z.strictObject({ id: ZId });
const ZPage = z.strictObject({
  cursor: pgText().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const ZPort = z.number().int().min(1).max(65535);
const ZSmtpUpdate = z.strictObject({
  host: pgText().trim().max(255),
  port: ZPort,
  secure: z.boolean(),
  user: pgText().max(255).default(""),
  /** Omitted: keep; null: clear; string: replace. */
  password: pgText().max(500).nullable().optional(),
  from: pgText().trim().max(300).default(""),
});

const ZMailboxCreate = z.strictObject({
  name: pgText().trim().min(1).max(200),
  host: pgText().trim().min(1).max(255),
  port: ZPort,
  tls: z.boolean().default(true),
  username: pgText().min(1).max(255),
  password: pgText().min(1).max(500),
  folder: pgText().trim().min(1).max(200).default("INBOX"),
  queue_id: ZId.optional(),
  is_enabled: z.boolean().default(true),
});
const ZMailboxUpdate = z.strictObject({
  name: pgText().trim().min(1).max(200).optional(),
  host: pgText().trim().min(1).max(255).optional(),
  port: ZPort.optional(),
  tls: z.boolean().optional(),
  username: pgText().min(1).max(255).optional(),
  password: pgText().min(1).max(500).optional(),
  folder: pgText().trim().min(1).max(200).optional(),
  queue_id: ZId.optional(),
  is_enabled: z.boolean().optional(),
});

/** Admin e-mail settings: SMTP, test mail, outbox, IMAP mailboxes and the inbound log. */
export async function registerEmailAdminRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { db, auth } = ctx;
  const tags = ["email"];
  const requireAdmin = (req: Parameters<typeof auth.require>[0]) =>
    auth.requireAbility(req, canManageEmailChannel);

  app.get(
    "/api/admin/email/smtp",
    {
      schema: {
        tags,
        summary: "Outgoing mail settings (password never returned)",
        response: { 200: ZSmtpSettings },
      },
    },
    async (req) => {
      await requireAdmin(req);
      return getSmtpSettings(ctx);
    },
  );

  app.put(
    "/api/admin/email/smtp",
    {
      schema: {
        tags,
        summary: "Change outgoing mail settings (SMTP_URL / MAIL_FROM win)",
        body: ZSmtpUpdate,
        response: { 200: ZSmtpSettings },
      },
    },
    async (req) => {
      await requireAdmin(req);
      return saveSmtpSettings(ctx, req.body);
    },
  );

  app.post(
    "/api/admin/email/test",
    {
      schema: {
        tags,
        summary: "Send a test e-mail (400 email.recipient_refused, 502 email.send_failed)",
        body: z.strictObject({ to: z.email() }),
        response: { 200: ZTestMailResult },
      },
    },
    async (req) => sendTestMail(ctx, await requireAdmin(req), req.body.to),
  );

  app.get(
    "/api/admin/email/outbox",
    {
      schema: {
        tags,
        summary: "Mail kept while no SMTP is configured",
        querystring: ZPage,
        response: { 200: ZOutboxPage },
      },
    },
    async (req) => {
      await requireAdmin(req);
      const q = req.query;
      const rows = await findOutbox(db, {
        beforeId: q.cursor ? decodeCursor(q.cursor, isLogCursor).id : undefined,
        limit: q.limit + 1,
      });
      const page = rows.slice(0, q.limit);
      return {
        results: page.map(presentOutboxMail),
        next: rows.length > q.limit ? encodeCursor({ id: page.at(-1)!.id }) : null,
      };
    },
  );

  app.get(
    "/api/admin/email/mailboxes",
    {
      schema: {
        tags,
        summary: "IMAP mailboxes with last fetch time and error",
        response: { 200: ZMailboxList },
      },
    },
    async (req) => {
      await requireAdmin(req);
      return { results: (await findMailboxes(db)).map(presentMailbox) };
    },
  );

  app.post(
    "/api/admin/email/mailboxes",
    {
      schema: {
        tags,
        summary: "Add an IMAP mailbox (its mail goes to queue_id, or to the e-mail queue)",
        body: ZMailboxCreate,
        response: { 201: ZMailbox },
      },
    },
    async (req, reply) => {
      await requireAdmin(req);
      return reply.code(201).send(await createMailbox(ctx, req.body));
    },
  );

  app.get(
    "/api/admin/email/mailboxes/:id",
    { schema: { tags, summary: "One mailbox", params: ZIdParams, response: { 200: ZMailbox } } },
    async (req) => {
      await requireAdmin(req);
      return presentMailbox(await getMailbox(db, req.params.id));
    },
  );

  app.patch(
    "/api/admin/email/mailboxes/:id",
    {
      schema: {
        tags,
        summary: "Change a mailbox (one from IMAP_URL: only name, queue and is_enabled)",
        params: ZIdParams,
        body: ZMailboxUpdate,
        response: { 200: ZMailbox },
      },
    },
    async (req) => {
      await requireAdmin(req);
      return changeMailbox(ctx, req.params.id, req.body);
    },
  );

  app.delete(
    "/api/admin/email/mailboxes/:id",
    {
      schema: {
        tags,
        summary: "Remove a mailbox (not one from IMAP_URL)",
        params: ZIdParams,
        response: { 204: ZNoContent },
      },
    },
    async (req, reply) => {
      await requireAdmin(req);
      await removeMailbox(db, req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/api/admin/email/mailboxes/:id/test",
    {
      schema: {
        tags,
        summary: "Test the IMAP connection",
        params: ZIdParams,
        response: { 200: ZMailboxTestResult },
      },
    },
    async (req) => {
      await requireAdmin(req);
      return testMailbox(ctx, req.params.id);
    },
  );

  app.get(
    "/api/admin/email/inbound",
    {
      schema: {
        tags,
        summary: "Fetched mails and what became of them (ticket, reply, ignored, rejected)",
        querystring: ZPage.extend({
          mailbox_id: ZId.optional(),
          status: z.enum(INBOUND_STATUSES).optional(),
        }),
        response: { 200: ZInboundPage },
      },
    },
    async (req) => {
      await requireAdmin(req);
      const q = req.query;
      const rows = await findInboundItems(db, {
        channel: EMAIL_CHANNEL,
        accountId: q.mailbox_id,
        status: q.status,
        beforeId: q.cursor ? decodeCursor(q.cursor, isLogCursor).id : undefined,
        limit: q.limit + 1,
      });
      const page = rows.slice(0, q.limit);
      return {
        results: page.map(presentInboundMail),
        next: rows.length > q.limit ? encodeCursor({ id: page.at(-1)!.id }) : null,
      };
    },
  );
}
