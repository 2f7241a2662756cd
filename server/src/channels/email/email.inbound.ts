import { createHash } from "node:crypto";
import { toStorableText } from "@helpdesk/contracts";
import { type AddressObject, type ParsedMail, simpleParser } from "mailparser";
import {
  ingestInbound,
  recordInbound,
  type TIngestResult,
} from "../../modules/conversations/conversations.inbound.js";
import { EMAIL_CHANNEL } from "./email.accounts.js";
import { repairEightBitHeaders, trimQuotedReply, trimSignature } from "./email.text.js";
import {
  findTicketByMessageIds,
  normaliseMessageId,
  parseMessageIds,
  rememberMessageIds,
} from "./email.threading.js";

/** Mails larger than this are not downloaded at all (recorded as rejected). */
export const MAX_RAW_EMAIL_BYTES = 60 * 1024 * 1024;

/** Where a mail was read: the mailbox (its channel account), its queue, and the mail's UID there. */
export type TIngestTarget = { mailboxId: number; queueId: number | null; uidValidity: number; uid: number };

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

const subjectTicketNumber = (subject: string): number | null => {
  const m = /\[#(\d{1,12})\]/.exec(subject);
  return m ? Number(m[1]) : null;
};

/**
 * Turns one fetched mail into a ticket or a reply, exactly once, through the conversations'
 * one inbound path: this reads the MIME (repairing 8-bit headers), gives the loop verdict
 * (automated mail), trims quotes and signatures, and threads by Message-ID and "[#N]";
 * `ingestInbound` does the rest. Never throws for a bad mail; throws only when the database
 * or storage fails (retry later).
 */
export async function ingestRawEmail(
  ctx: Parameters<typeof ingestInbound>[0],
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
  const key = {
    channel: EMAIL_CHANNEL,
    accountId: target.mailboxId,
    externalId: messageId,
    deliveryKey: `${target.uidValidity}:${target.uid}`,
  };
  if (!parsed) {
    // Recorded once: a repeat hits the unique keys and is reported as a duplicate.
    return recordInbound(ctx, {
      ...key,
      status: "rejected",
      reason: `unparseable MIME: ${parseError ?? "unknown"}`.slice(0, 500),
      size: raw.length,
    });
  }
  const from = firstAddress(parsed.from) ?? firstAddress(parsed.replyTo);
  const subject = toStorableText(parsed.subject ?? "")
    .replace(/\s+/g, " ")
    .trim();
  const references = [...parseMessageIds(parsed.inReplyTo), ...parseMessageIds(parsed.references)];
  const rawText = toStorableText(parsed.text ?? "");
  return ingestInbound(ctx, {
    ...key,
    size: raw.length,
    from: from ? { externalId: from.address, displayName: from.name } : null,
    subject,
    text: trimSignature(rawText),
    replyText: trimQuotedReply(rawText),
    automated: detectAutomatedMail(parsed, from?.address ?? null, options.ownAddresses ?? []),
    files: parsed.attachments.map((a) => ({
      bytes: a.content ?? Buffer.alloc(0),
      filename: a.filename === undefined ? undefined : toStorableText(a.filename),
      contentType: a.contentType,
    })),
    original: { bytes: raw, filename: `original-${target.uid}.eml`, contentType: "message/rfc822" },
    thread: {
      // Replies go back to the sender's address.
      externalThreadId: from?.address ?? "",
      async findTicket(tx) {
        return (await findTicketByMessageIds(tx, references)) ?? subjectTicketNumber(subject);
      },
    },
    queueId: target.queueId,
    source: "email",
    async afterWrite(tx, { ticketId }) {
      await rememberMessageIds(tx, ticketId, [messageId], "in");
    },
  });
}
