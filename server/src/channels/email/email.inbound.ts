import { createHash } from "node:crypto";
import { LIMITS, toStorableText } from "@helpdesk/contracts";
import { and, eq, or } from "drizzle-orm";
import { type AddressObject, type ParsedMail, simpleParser } from "mailparser";
import type { AppContext } from "../../app-context.js";
import {
  insertAttachmentRows,
  receiveFileBytes,
  sanitizeFilename,
  storeReceivedBytes,
  type TReceivedFile,
} from "../../modules/attachments/attachments.usecases.js";
import type { TActor } from "../../modules/auth/auth.actor.js";
import { findActorsByIds } from "../../modules/auth/auth.repository.js";
import { resolveContact } from "../../modules/contacts/contacts.usecases.js";
import { upsertBinding } from "../../modules/conversations/conversations.repository.js";
import { canViewTicket } from "../../modules/tickets/tickets.policies.js";
import { addMessage, createTicket } from "../../modules/tickets/tickets.usecases.js";
import type { DbOrTx } from "../../platform/db/index.js";
import { inboundEmails, tickets } from "../../platform/db/schema/index.js";
import { isAppError } from "../../platform/errors.js";
import { withTx } from "../../platform/unit-of-work.js";
import { repairEightBitHeaders, trimQuotedReply, trimSignature } from "./email.text.js";
import {
  findTicketByMessageIds,
  normaliseMessageId,
  parseMessageIds,
  rememberMessageIds,
} from "./email.threading.js";

/** Mails larger than this are not downloaded at all (recorded as rejected). */
export const MAX_RAW_EMAIL_BYTES = 60 * 1024 * 1024;

export type TIngestTarget = { mailboxId: number; queueId: number; uidValidity: number; uid: number };
export type TIngestResult = {
  status: "ticket" | "reply" | "ignored" | "rejected" | "duplicate";
  ticketId?: number;
  reason?: string;
};

/** A header's raw value(s) (lower-case name), unfolded. */
function rawHeaders(parsed: ParsedMail, name: string): string[] {
  return parsed.headerLines
    .filter((h) => h.key === name)
    .map((h) =>
      h.line
        .slice(h.line.indexOf(":") + 1)
        .replace(/\r?\n[ \t]+/g, " ")
        .trim(),
    );
}

/**
 * Why a mail must not become a ticket (auto-replies, bounces, lists, our own mail), or null.
 * Answering these is how two auto-responders mail each other forever.
 */
export function detectAutomatedMail(
  parsed: ParsedMail,
  fromAddress: string | null,
  ownAddresses: string[],
): string | null {
  const auto = rawHeaders(parsed, "auto-submitted")[0];
  if (auto && auto.toLowerCase() !== "no") return `Auto-Submitted: ${auto}`;
  if (rawHeaders(parsed, "x-auto-response-suppress").length > 0) return "X-Auto-Response-Suppress present";
  const precedence = rawHeaders(parsed, "precedence")[0]?.toLowerCase();
  if (precedence && /^(bulk|junk|list)$/.test(precedence)) return `Precedence: ${precedence}`;
  if (rawHeaders(parsed, "list-id").length > 0) return "List-Id present";
  if (rawHeaders(parsed, "x-autoreply").length > 0 || rawHeaders(parsed, "x-autorespond").length > 0) {
    return "X-Autoreply present";
  }
  const returnPath = rawHeaders(parsed, "return-path")[0];
  if (returnPath !== undefined && /^<\s*>$/.test(returnPath)) return "Return-Path: <> (bounce)";
  if (fromAddress) {
    const local = fromAddress.split("@")[0] ?? "";
    if (/^(mailer-daemon|postmaster)$/i.test(local)) return `sender ${local}`;
    if (ownAddresses.includes(fromAddress)) return "sent by this help desk";
  }
  if (/^multipart\/report/i.test(rawHeaders(parsed, "content-type")[0] ?? "")) return "delivery report";
  return null;
}

const firstAddress = (a: AddressObject | AddressObject[] | undefined) => {
  const v = (Array.isArray(a) ? a[0] : a)?.value[0];
  // Header text is the sender's: NUL or broken UTF-16 in it must not stop the mail.
  return v?.address
    ? { address: toStorableText(v.address).toLowerCase().trim(), name: toStorableText(v.name ?? "").trim() }
    : null;
};

async function loadActor(tx: DbOrTx, userId: number): Promise<TActor | null> {
  const [state] = await findActorsByIds(tx, [userId]);
  if (!state?.isActive) return null;
  const { isActive: _isActive, ...actor } = state;
  return actor;
}

/** Why an attachment was left out, as the ticket's text and the inbound log say it. */
const REJECTED_FILE_REASONS: Record<string, string> = {
  "uploads.too_large": `larger than ${LIMITS.uploadMaxBytes} bytes`,
  "uploads.type_not_allowed": "executable files are not accepted",
};

const subjectTicketNumber = (subject: string): number | null => {
  const m = /\[#(\d{1,12})\]/.exec(subject);
  return m ? Number(m[1]) : null;
};

const clip = (s: string, max: number, note: string) =>
  s.length > max ? `${s.slice(0, max - note.length - 2)}\n\n${note}` : s;

/**
 * Turns one fetched mail into a ticket or a reply, exactly once: the `inbound_emails` row
 * (unique by mailbox + UIDVALIDITY + UID and by Message-ID) is written in the same transaction
 * as the ticket or message, so a repeated fetch finds it and creates nothing. Automated mail is
 * recorded as ignored; a mail that cannot be used is recorded as rejected with the reason.
 * Never throws for a bad mail; throws only when the database or storage fails (retry later).
 */
export async function ingestRawEmail(
  ctx: Pick<AppContext, "db" | "bus" | "storage" | "logger" | "config" | "settings" | "catalog">,
  target: TIngestTarget,
  raw: Buffer,
  options: { ownAddresses?: string[] } = {},
): Promise<TIngestResult> {
  const fallbackId = `<sha256-${createHash("sha256").update(raw).digest("hex").slice(0, 40)}@no-message-id>`;
  let parsed: ParsedMail | null = null;
  let parseError: string | null = null;
  try {
    parsed = await simpleParser(repairEightBitHeaders(raw), {
      skipImageLinks: true,
      skipTextToHtml: true,
      skipTextLinks: true,
      maxHtmlLengthToParse: 5 * 1024 * 1024,
    });
  } catch (error) {
    parseError = error instanceof Error ? error.message : String(error);
  }
  const messageId = normaliseMessageId(parsed?.messageId) ?? fallbackId;

  const [known] = await ctx.db
    .select({ id: inboundEmails.id })
    .from(inboundEmails)
    .where(
      or(
        and(
          eq(inboundEmails.mailboxId, target.mailboxId),
          eq(inboundEmails.uidValidity, target.uidValidity),
          eq(inboundEmails.uid, target.uid),
        ),
        eq(inboundEmails.messageId, messageId),
      ),
    )
    .limit(1);
  if (known) return { status: "duplicate" };

  const record = async (
    status: "ignored" | "rejected",
    reason: string,
    extra: Partial<typeof inboundEmails.$inferInsert> = {},
  ) => {
    const inserted = await ctx.db
      .insert(inboundEmails)
      .values({ ...target, messageId, status, reason, size: raw.length, ...extra })
      .onConflictDoNothing()
      .returning({ id: inboundEmails.id });
    ctx.logger.info(
      { mailboxId: target.mailboxId, uid: target.uid, status, reason },
      "inbound mail not turned into a ticket",
    );
    return { status: inserted.length > 0 ? status : "duplicate", reason } as TIngestResult;
  };

  if (!parsed) return record("rejected", `unparseable MIME: ${parseError ?? "unknown"}`.slice(0, 500));
  const from = firstAddress(parsed.from) ?? firstAddress(parsed.replyTo);
  const subject = toStorableText(parsed.subject ?? "")
    .replace(/\s+/g, " ")
    .trim();
  const base = { fromAddress: from?.address ?? null, subject: subject.slice(0, 500) };
  const automated = detectAutomatedMail(parsed, from?.address ?? null, options.ownAddresses ?? []);
  if (automated) return record("ignored", automated, base);
  if (!from) return record("rejected", "no sender address", base);

  // Files first (outside the transaction: storage is not transactional). A crash before the
  // commit leaves unreferenced files, never a half-made ticket.
  const stored: TReceivedFile[] = [];
  const rejectedAttachments: { filename: string; size: number; reason: string }[] = [];
  try {
    stored.push(await storeReceivedBytes(ctx, raw, `original-${target.uid}.eml`, "message/rfc822"));
    for (const a of parsed.attachments) {
      const filename = sanitizeFilename(toStorableText(a.filename ?? `attachment-${stored.length}`));
      const size = a.content?.length ?? a.size ?? 0;
      if (!a.content) {
        rejectedAttachments.push({ filename, size, reason: "no content" });
        continue;
      }
      try {
        // The same checks as an upload: size, type from the bytes, no executables.
        stored.push(await receiveFileBytes(ctx, a.content, { filename, contentType: a.contentType }));
      } catch (error) {
        if (!isAppError(error)) throw error;
        rejectedAttachments.push({
          filename,
          size,
          reason: REJECTED_FILE_REASONS[error.code] ?? error.message,
        });
      }
    }
  } catch (error) {
    for (const f of stored) await ctx.storage.remove(f.storageKey).catch(() => {});
    throw error;
  }
  for (const r of rejectedAttachments) {
    ctx.logger.warn({ mailboxId: target.mailboxId, uid: target.uid, ...r }, "inbound attachment rejected");
  }

  const references = [...parseMessageIds(parsed.inReplyTo), ...parseMessageIds(parsed.references)];
  const rawText = toStorableText(parsed.text ?? "");
  const defaultLanguage = (await ctx.settings.get()).default_language;
  const catalog = await ctx.catalog.get();
  let result: TIngestResult;
  try {
    result = await withTx(ctx, async (tx, emit) => {
      const [row] = await tx
        .insert(inboundEmails)
        .values({ ...target, messageId, status: "ticket", size: raw.length, ...base, rejectedAttachments })
        .onConflictDoNothing()
        .returning({ id: inboundEmails.id });
      if (!row) return { status: "duplicate" } as TIngestResult;
      const { userId } = await resolveContact(
        tx,
        { channel: "email", externalId: from.address, displayName: from.name },
        defaultLanguage,
      );
      const actor = await loadActor(tx, userId);
      if (!actor) {
        await tx
          .update(inboundEmails)
          .set({ status: "rejected", reason: "sender is deactivated" })
          .where(eq(inboundEmails.id, row.id));
        return { status: "rejected", reason: "sender is deactivated" } as TIngestResult;
      }
      // Attachments become uploads of the sender, claimed by the ticket or message below.
      await insertAttachmentRows(tx, actor, stored);
      const attachmentIds = stored.map((f) => f.id);
      const rejectedNote =
        rejectedAttachments.length > 0
          ? `\n\n${rejectedAttachments.map((r) => `[${r.filename}: ${r.reason}]`).join("\n")}`
          : "";

      let ticketId = await findTicketByMessageIds(tx, references);
      if (ticketId === null) {
        const n = subjectTicketNumber(subject);
        if (n !== null) ticketId = n;
      }
      let target2:
        | {
            requesterId: number;
            assigneeId: number | null;
            queueId: number;
            status: "open" | "in_progress" | "waiting_for_client" | "closed";
          }
        | undefined;
      if (ticketId !== null) {
        const [t] = await tx
          .select({
            requesterId: tickets.requesterId,
            assigneeId: tickets.assigneeId,
            queueId: tickets.queueId,
            status: tickets.status,
          })
          .from(tickets)
          .where(eq(tickets.id, ticketId));
        // Only the requester or staff who may see the ticket can add to it by mail.
        target2 = t && canViewTicket(actor, t) ? t : undefined;
      }
      if (ticketId !== null && target2) {
        const text =
          clip(trimQuotedReply(rawText) || "(no text)", LIMITS.messageMax - rejectedNote.length, "[…]") +
          rejectedNote;
        const messageRowId = await addMessage(tx, emit, actor, {
          ticketId,
          text,
          isInternal: false,
          attachmentIds,
          source: "email",
        });
        await tx
          .update(inboundEmails)
          .set({
            status: "reply",
            ticketId,
            ticketMessageId: messageRowId,
            rawAttachmentId: stored[0]?.id ?? null,
          })
          .where(eq(inboundEmails.id, row.id));
        await rememberMessageIds(tx, ticketId, [messageId], "in");
        // The requester wrote by mail: staff replies go back to them by mail.
        if (actor.id === target2.requesterId) {
          await upsertBinding(tx, {
            ticketId,
            channel: "email",
            accountId: null,
            externalThreadId: from.address,
            contactUserId: actor.id,
          });
        }
        return { status: "reply", ticketId } as TIngestResult;
      }
      const description =
        clip(
          trimSignature(rawText),
          LIMITS.descriptionMax - rejectedNote.length,
          "[…the full text is in the attached .eml]",
        ) + rejectedNote;
      const newId = await createTicket(
        tx,
        emit,
        actor,
        {
          title: (subject || "(no subject)").slice(0, LIMITS.titleMax),
          description,
          queue_id: target.queueId,
          attachment_ids: attachmentIds,
        },
        "email",
        catalog,
      );
      await tx
        .update(inboundEmails)
        .set({ status: "ticket", ticketId: newId, rawAttachmentId: stored[0]?.id ?? null })
        .where(eq(inboundEmails.id, row.id));
      await rememberMessageIds(tx, newId, [messageId], "in");
      await upsertBinding(tx, {
        ticketId: newId,
        channel: "email",
        accountId: null,
        externalThreadId: from.address,
        contactUserId: actor.id,
      });
      return { status: "ticket", ticketId: newId } as TIngestResult;
    });
  } catch (error) {
    for (const f of stored) await ctx.storage.remove(f.storageKey).catch(() => {});
    throw error;
  }
  if (result.status === "duplicate" || result.status === "rejected") {
    for (const f of stored) await ctx.storage.remove(f.storageKey).catch(() => {});
  }
  return result;
}
