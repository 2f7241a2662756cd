import { pgText, ZId } from "@helpdesk/contracts";
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { EMAIL_QUEUE_SLUG } from "../../modules/catalog/catalog.seed.js";
import { encryptSecret } from "../../platform/crypto.js";
import { emailOutbox, inboundEmails, mailboxes, queues } from "../../platform/db/schema/index.js";
import { AppError, createNotFoundError } from "../../platform/errors.js";
import { decodeCursor, encodeCursor, isIdCursor } from "../../platform/http.js";
import { readStoredSmtp, resolveTransport, sendMail, writeStoredSmtp } from "./email.mailer.js";
import { renderTestEmail } from "./email.templates.js";
import { testMailboxConnection } from "./imap.worker.js";

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

const createMailboxNotFoundError = () => createNotFoundError("email.mailbox_not_found", "Mailbox not found");
const createEnvMailboxError = () =>
  new AppError(
    "email.mailbox_from_env",
    409,
    "This mailbox comes from IMAP_URL; change the environment instead",
  );
const createUnknownQueueError = () => new AppError("email.unknown_queue", 400, "Unknown queue");

function presentMailbox(m: typeof mailboxes.$inferSelect) {
  return {
    id: m.id,
    name: m.name,
    source: m.source,
    host: m.host,
    port: m.port,
    tls: m.tls,
    username: m.username,
    has_password: m.passwordEnc.length > 0,
    folder: m.folder,
    queue_id: m.queueId,
    is_enabled: m.isEnabled,
    last_fetch_at: m.lastFetchAt?.toISOString() ?? null,
    last_error: m.lastError,
    last_error_at: m.lastErrorAt?.toISOString() ?? null,
    uid_validity: m.uidValidity,
    last_uid: m.lastUid,
  };
}

/** Admin e-mail settings: SMTP, test mail, outbox, IMAP mailboxes and the inbound log. */
export async function registerEmailAdminRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { db, auth } = ctx;
  const tags = ["email"];

  const presentSmtp = async () => {
    const s = await readStoredSmtp(ctx);
    const { transport, from } = await resolveTransport(ctx);
    return {
      host: s.host,
      port: s.port,
      secure: s.secure,
      user: s.user,
      has_password: Boolean(s.password_enc),
      from: s.from,
      effective_from: from,
      delivery: transport ? ("smtp" as const) : ("outbox" as const),
      env_overrides: { smtp_url: Boolean(ctx.config.smtpUrl), mail_from: Boolean(ctx.config.mailFrom) },
    };
  };

  app.get(
    "/api/admin/email/smtp",
    { schema: { tags, summary: "Outgoing mail settings (password never returned)" } },
    async (req) => {
      await auth.requireRole(req, "admin");
      return presentSmtp();
    },
  );

  app.put(
    "/api/admin/email/smtp",
    {
      schema: {
        tags,
        summary: "Change outgoing mail settings (SMTP_URL / MAIL_FROM win)",
        body: ZSmtpUpdate,
      },
    },
    async (req) => {
      await auth.requireRole(req, "admin");
      const current = await readStoredSmtp(ctx);
      const b = req.body;
      await writeStoredSmtp(ctx, {
        host: b.host,
        port: b.port,
        secure: b.secure,
        user: b.user,
        from: b.from,
        password_enc:
          b.password === undefined
            ? current.password_enc
            : b.password === null || b.password === ""
              ? null
              : encryptSecret(ctx.config.appSecret, b.password),
      });
      return presentSmtp();
    },
  );

  app.post(
    "/api/admin/email/test",
    { schema: { tags, summary: "Send a test e-mail", body: z.strictObject({ to: z.email() }) } },
    async (req) => {
      const actor = await auth.requireRole(req, "admin");
      const mail = renderTestEmail(actor.language, (await ctx.settings.get()).organisation_name);
      try {
        const r = await sendMail(ctx, { to: req.body.to, ...mail, language: actor.language });
        return { ok: true, via: r.via, message_id: r.messageId ?? null };
      } catch (error) {
        const e = error as { message?: string; code?: string; responseCode?: number };
        // The server refused this address for good (5xx to RCPT TO): the admin's input, not an outage.
        if (e.code === "EENVELOPE" && typeof e.responseCode === "number" && e.responseCode >= 500) {
          throw new AppError(
            "email.recipient_refused",
            400,
            `The mail server refused the address: ${e.message}`,
          );
        }
        throw new AppError(
          "email.send_failed",
          502,
          `The mail server refused: ${e.message ?? String(error)}`,
        );
      }
    },
  );

  app.get(
    "/api/admin/email/outbox",
    { schema: { tags, summary: "Mail kept while no SMTP is configured", querystring: ZPage } },
    async (req) => {
      await auth.requireRole(req, "admin");
      const where = req.query.cursor
        ? lt(emailOutbox.id, decodeCursor(req.query.cursor, isLogCursor).id)
        : undefined;
      const rows = await db
        .select()
        .from(emailOutbox)
        .where(where)
        .orderBy(desc(emailOutbox.id))
        .limit(req.query.limit + 1);
      const page = rows.slice(0, req.query.limit);
      return {
        results: page.map((r) => ({
          id: r.id,
          to: r.to,
          from: r.from,
          subject: r.subject,
          text: r.text,
          html: r.html,
          message_id: r.messageId,
          headers: r.headers,
          created_at: r.createdAt.toISOString(),
        })),
        next: rows.length > req.query.limit ? encodeCursor({ id: page.at(-1)!.id }) : null,
      };
    },
  );

  app.get(
    "/api/admin/email/mailboxes",
    { schema: { tags, summary: "IMAP mailboxes with last fetch time and error" } },
    async (req) => {
      await auth.requireRole(req, "admin");
      return { results: (await db.select().from(mailboxes).orderBy(mailboxes.id)).map(presentMailbox) };
    },
  );

  const loadMailbox = async (id: number) => {
    const [m] = await db.select().from(mailboxes).where(eq(mailboxes.id, id));
    if (!m) throw createMailboxNotFoundError();
    return m;
  };
  const checkQueue = async (id: number) => {
    const [q] = await db.select({ id: queues.id }).from(queues).where(eq(queues.id, id));
    if (!q) throw createUnknownQueueError();
  };

  app.post(
    "/api/admin/email/mailboxes",
    { schema: { tags, summary: "Add an IMAP mailbox", body: ZMailboxCreate } },
    async (req, reply) => {
      await auth.requireRole(req, "admin");
      const b = req.body;
      let queueId = b.queue_id;
      if (queueId) await checkQueue(queueId);
      else
        queueId = (
          await db.select({ id: queues.id }).from(queues).where(eq(queues.slug, EMAIL_QUEUE_SLUG))
        )[0]?.id;
      if (!queueId) throw createUnknownQueueError();
      const [m] = await db
        .insert(mailboxes)
        .values({
          name: b.name,
          host: b.host,
          port: b.port,
          tls: b.tls,
          username: b.username,
          passwordEnc: encryptSecret(ctx.config.appSecret, b.password),
          folder: b.folder,
          queueId,
          isEnabled: b.is_enabled,
        })
        .returning();
      return reply.code(201).send(presentMailbox(m!));
    },
  );

  app.get(
    "/api/admin/email/mailboxes/:id",
    { schema: { tags, summary: "One mailbox", params: ZIdParams } },
    async (req) => {
      await auth.requireRole(req, "admin");
      return presentMailbox(await loadMailbox(req.params.id));
    },
  );

  app.patch(
    "/api/admin/email/mailboxes/:id",
    { schema: { tags, summary: "Change a mailbox", params: ZIdParams, body: ZMailboxUpdate } },
    async (req) => {
      await auth.requireRole(req, "admin");
      const m = await loadMailbox(req.params.id);
      const b = req.body;
      if (
        m.source === "env" &&
        Object.keys(b).some((k) => k !== "is_enabled" && k !== "queue_id" && k !== "name")
      ) {
        throw createEnvMailboxError();
      }
      if (b.queue_id) await checkQueue(b.queue_id);
      // An empty PATCH changes nothing and writes nothing.
      if (Object.values(b).every((v) => v === undefined)) return presentMailbox(m);
      const [row] = await db
        .update(mailboxes)
        .set({
          name: b.name,
          host: b.host,
          port: b.port,
          tls: b.tls,
          username: b.username,
          passwordEnc: b.password ? encryptSecret(ctx.config.appSecret, b.password) : undefined,
          folder: b.folder,
          queueId: b.queue_id,
          isEnabled: b.is_enabled,
          updatedAt: new Date(),
        })
        .where(eq(mailboxes.id, m.id))
        .returning();
      return presentMailbox(row!);
    },
  );

  app.delete(
    "/api/admin/email/mailboxes/:id",
    { schema: { tags, summary: "Remove a mailbox", params: ZIdParams } },
    async (req, reply) => {
      await auth.requireRole(req, "admin");
      const m = await loadMailbox(req.params.id);
      if (m.source === "env") throw createEnvMailboxError();
      await db.delete(mailboxes).where(eq(mailboxes.id, m.id));
      return reply.code(204).send();
    },
  );

  app.post(
    "/api/admin/email/mailboxes/:id/test",
    { schema: { tags, summary: "Test the IMAP connection", params: ZIdParams } },
    async (req) => {
      await auth.requireRole(req, "admin");
      const m = await loadMailbox(req.params.id);
      const result = await testMailboxConnection(ctx.config, m);
      await db
        .update(mailboxes)
        .set(result.ok ? { lastError: null } : { lastError: result.error, lastErrorAt: new Date() })
        .where(eq(mailboxes.id, m.id));
      return result;
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
          status: z.enum(["ticket", "reply", "ignored", "rejected"]).optional(),
        }),
      },
    },
    async (req) => {
      await auth.requireRole(req, "admin");
      const q = req.query;
      const where: SQL[] = [];
      if (q.mailbox_id) where.push(eq(inboundEmails.mailboxId, q.mailbox_id));
      if (q.status) where.push(eq(inboundEmails.status, q.status));
      if (q.cursor) where.push(lt(inboundEmails.id, decodeCursor(q.cursor, isLogCursor).id));
      const rows = await db
        .select()
        .from(inboundEmails)
        .where(where.length ? and(...where) : undefined)
        .orderBy(desc(inboundEmails.id))
        .limit(q.limit + 1);
      const page = rows.slice(0, q.limit);
      return {
        results: page.map((r) => ({
          id: r.id,
          mailbox_id: r.mailboxId,
          uid: r.uid,
          message_id: r.messageId,
          status: r.status,
          reason: r.reason,
          from: r.fromAddress,
          subject: r.subject,
          size: r.size,
          ticket_id: r.ticketId,
          message_row_id: r.ticketMessageId,
          raw_attachment_id: r.rawAttachmentId,
          rejected_attachments: r.rejectedAttachments,
          created_at: r.createdAt.toISOString(),
        })),
        next: rows.length > q.limit ? encodeCursor({ id: page.at(-1)!.id }) : null,
      };
    },
  );
}
