import { LIMITS, type TLanguage, type TTicketSource } from "@helpdesk/contracts";
import type { AppContext } from "../../app-context.js";
import type { DbOrTx } from "../../platform/db/index.js";
import { isAppError } from "../../platform/errors.js";
import type { TEmit } from "../../platform/unit-of-work.js";
import { withTx } from "../../platform/unit-of-work.js";
import {
  discardReceivedFiles,
  insertAttachmentRows,
  receiveFileBytes,
  sanitizeFilename,
  storeReceivedBytes,
  type TReceivedFile,
} from "../attachments/attachments.usecases.js";
import type { TActor } from "../auth/auth.actor.js";
import { findActorsByIds } from "../auth/auth.repository.js";
import { resolveContact } from "../contacts/contacts.usecases.js";
import { touchChat } from "../inbox/inbox.usecases.js";
import { canViewTicket } from "../tickets/tickets.policies.js";
import { addMessage, createTicket } from "../tickets/tickets.usecases.js";
import {
  findBoundOpenTicket,
  findInboundItem,
  findThreadTarget,
  insertInboundItem,
  type TInboundStatus,
  updateInboundItem,
  upsertBinding,
} from "./conversations.repository.js";

/** A file as a channel brought it in, before the attachment store has checked it. */
export type TInboundFile = { bytes: Buffer; filename: string | undefined; contentType?: string };

/**
 * One message a customer sent, as its channel driver read it. The driver knows its channel
 * (parsing, loop detection, its own threading hints); everything after that is here.
 */
export type TInboundMessage = {
  /** The driver's name. */
  channel: string;
  accountId: number | null;
  /** The message's id on its channel: the exactly-once key (e-mail: the Message-ID). */
  externalId: string;
  /** The account's id of this receipt, also unique per account (IMAP: UIDVALIDITY:UID). */
  deliveryKey?: string | null;
  /** The message's size as received, for the inbound log. */
  size?: number;
  /**
   * The channel the sender's identity belongs to, when it is not the driver's own: a Telegram
   * user is one person whether they write to a bot or to a personal account (`telegram`).
   */
  identityChannel?: string;
  /** Who sent it; null when the driver could not tell (the message is rejected). */
  from: { externalId: string; displayName?: string | null; language?: TLanguage | null } | null;
  /** The title of a new ticket (e-mail: the subject). */
  subject: string;
  /** The text of a new ticket. */
  text: string;
  /** The text when it joins an existing ticket (e-mail: without the quoted history). */
  replyText?: string;
  /** The driver's loop verdict: why this must not become a ticket (an auto-reply, our own mail), or null. */
  automated?: string | null;
  /** Files sent with it; each goes through the upload checks, a refused one is noted in the text. */
  files: TInboundFile[];
  /** The message as received, kept with the ticket for the record (the raw .eml). */
  original?: { bytes: Buffer; filename: string; contentType: string };
  /** Where the conversation lives on the channel: the address, the chat, the visitor session. */
  thread: {
    externalThreadId: string;
    /**
     * The driver's own threading (e-mail: In-Reply-To/References, "[#N]" in the subject). Without
     * it, a message joins the latest open ticket bound to this thread (a chat continues).
     */
    findTicket?: (tx: DbOrTx) => Promise<number | null>;
  };
  /** The queue of a new ticket (the account's); null: the default one. */
  queueId: number | null;
  /**
   * Whether the conversation is a chat of the omnichannel inbox; default: the driver's `chat`
   * (a requester-mode Telegram bot's requests are tickets, not inbox chats).
   */
  chat?: boolean;
  /** What the sender chose for a new ticket (the Telegram bot's dialogue); an automation's route wins. */
  newTicket?: { categoryId?: number | null; priorityId?: number | null };
  source: TTicketSource;
  /** The driver's bookkeeping in the same transaction (e-mail: remember the Message-ID). */
  afterWrite?: (tx: DbOrTx, written: { ticketId: number; messageId: number | null }) => Promise<void>;
};

export type TIngestResult = {
  status: TInboundStatus | "duplicate";
  ticketId?: number;
  reason?: string;
};

/**
 * What an automation (the rules bot, later AI triage) decides before a message is routed: it
 * may change where a new ticket goes, or take the message over (it answered itself), in which
 * case no ticket is made and the item is recorded as handled.
 */
export type TInboundDecision =
  | { action: "route"; queueId?: number; priorityId?: number; categoryId?: number }
  | { action: "handled"; reason: string };

export type TInboundAutomation = {
  name: string;
  decide(
    tx: DbOrTx,
    emit: TEmit,
    input: { message: TInboundMessage; contact: TActor; ticketId: number | null },
  ): Promise<TInboundDecision | undefined>;
};

/** Why a file was left out, as the ticket's text and the inbound log say it. */
const REJECTED_FILE_REASONS: Record<string, string> = {
  "uploads.too_large": `larger than ${LIMITS.uploadMaxBytes} bytes`,
  "uploads.type_not_allowed": "executable files are not accepted",
};

const clip = (s: string, max: number, note: string) =>
  s.length > max ? `${s.slice(0, max - note.length - 2)}\n\n${note}` : s;

async function loadActiveActor(tx: DbOrTx, userId: number): Promise<TActor | null> {
  const [state] = await findActorsByIds(tx, [userId]);
  if (!state?.isActive) return null;
  const { isActive: _isActive, ...actor } = state;
  return actor;
}

/** Stores the files outside the transaction (storage is not transactional); a refused one is kept as a note. */
async function receiveFiles(ctx: Pick<AppContext, "storage">, m: TInboundMessage) {
  const stored: TReceivedFile[] = [];
  const rejected: { filename: string; size: number; reason: string }[] = [];
  try {
    if (m.original) {
      stored.push(
        await storeReceivedBytes(ctx, m.original.bytes, m.original.filename, m.original.contentType),
      );
    }
    for (const f of m.files) {
      const filename = sanitizeFilename(f.filename ?? `attachment-${stored.length}`);
      try {
        // The same checks as an upload: size, type from the bytes, no executables.
        stored.push(await receiveFileBytes(ctx, f.bytes, { filename, contentType: f.contentType }));
      } catch (error) {
        if (!isAppError(error)) throw error;
        rejected.push({
          filename,
          size: f.bytes.length,
          reason: REJECTED_FILE_REASONS[error.code] ?? error.message,
        });
      }
    }
  } catch (error) {
    for (const f of stored) await ctx.storage.remove(f.storageKey).catch(() => {});
    throw error;
  }
  return { stored, rejected };
}

/**
 * The one way anything a customer sends on any channel comes in, exactly once: the
 * `inbound_items` row (unique by the channel's id of the message and by the account's receipt)
 * is written in the same transaction as the ticket or message, so a repeated delivery finds it
 * and creates nothing. Then: the driver's loop verdict, the contact, the automations, the
 * thread (the driver's threading, else the thread binding), and a new ticket or a message on
 * the one it belongs to. Never throws for a bad message (it is recorded as ignored or
 * rejected with the reason); throws only when the database or storage fails (retry later).
 */
export async function ingestInbound(
  ctx: Pick<
    AppContext,
    "db" | "bus" | "storage" | "logger" | "settings" | "catalog" | "automations" | "channels" | "config"
  >,
  m: TInboundMessage,
): Promise<TIngestResult> {
  const key = {
    channel: m.channel,
    accountId: m.accountId,
    externalId: m.externalId,
    deliveryKey: m.deliveryKey ?? null,
  };
  if (await findInboundItem(ctx.db, key)) return { status: "duplicate" };
  const base = {
    ...key,
    sender: m.from?.externalId.slice(0, 500) ?? null,
    subject: m.subject.slice(0, 500),
    size: m.size ?? 0,
  };
  if (m.automated) return recordInbound(ctx, { ...base, status: "ignored", reason: m.automated });
  if (!m.from) return recordInbound(ctx, { ...base, status: "rejected", reason: "no sender" });
  const from = m.from;

  const { stored, rejected } = await receiveFiles(ctx, m);
  for (const r of rejected) {
    ctx.logger.warn({ channel: m.channel, accountId: m.accountId, ...r }, "inbound file rejected");
  }
  const rejectedNote =
    rejected.length > 0 ? `\n\n${rejected.map((r) => `[${r.filename}: ${r.reason}]`).join("\n")}` : "";
  const defaultLanguage = (await ctx.settings.get()).default_language;
  const catalog = await ctx.catalog.get();
  let result: TIngestResult;
  try {
    result = await withTx(ctx, async (tx, emit) => {
      const itemId = await insertInboundItem(tx, { ...base, status: "ticket", rejectedFiles: rejected });
      if (itemId === null) return { status: "duplicate" } as TIngestResult;
      const finish = async (
        status: TInboundStatus,
        extra: { ticketId?: number; messageId?: number; reason?: string } = {},
      ): Promise<TIngestResult> => {
        await updateInboundItem(tx, itemId, {
          status,
          reason: extra.reason ?? null,
          ticketId: extra.ticketId ?? null,
          ticketMessageId: extra.messageId ?? null,
          originalAttachmentId:
            m.original && (status === "ticket" || status === "reply") ? (stored[0]?.id ?? null) : null,
        });
        return { status, ticketId: extra.ticketId, reason: extra.reason };
      };
      const { userId } = await resolveContact(
        tx,
        {
          channel: m.identityChannel ?? m.channel,
          externalId: from.externalId,
          displayName: from.displayName,
          language: from.language,
        },
        defaultLanguage,
      );
      const actor = await loadActiveActor(tx, userId);
      if (!actor) return finish("rejected", { reason: "sender is deactivated" });

      // The thread: the driver's own threading, else the latest open ticket of this thread.
      const candidate = m.thread.findTicket
        ? await m.thread.findTicket(tx)
        : await findBoundOpenTicket(tx, m.channel, m.accountId, m.thread.externalThreadId);
      const target = candidate === null ? undefined : await findThreadTarget(tx, candidate);
      // Only the requester or staff who may see the ticket can add to it from a channel.
      const ticketId = target && canViewTicket(actor, target) ? target.id : null;

      let decision: TInboundDecision | undefined;
      for (const automation of ctx.automations) {
        decision = await automation.decide(tx, emit, { message: m, contact: actor, ticketId });
        if (decision) break;
      }
      if (decision?.action === "handled")
        return finish("handled", { ticketId: ticketId ?? undefined, reason: decision.reason });

      // Files become uploads of the sender, claimed by the ticket or message below.
      await insertAttachmentRows(tx, actor, stored);
      const attachmentIds = stored.map((f) => f.id);
      const text =
        clip((m.replyText ?? m.text).trim() || "(no text)", LIMITS.messageMax - rejectedNote.length, "[…]") +
        rejectedNote;
      // On a chat channel (the driver says so) the binding's chat is kept with the message.
      const chatAccountId = (m.chat ?? ctx.channels.get(m.channel)?.chat) ? m.accountId : null;
      const bind = async (id: number, messageId: number | null) => {
        await upsertBinding(tx, {
          ticketId: id,
          channel: m.channel,
          accountId: m.accountId,
          externalThreadId: m.thread.externalThreadId,
          contactUserId: actor.id,
        });
        if (chatAccountId === null) return;
        await touchChat(tx, emit, ctx.config.inbox, {
          channel: m.channel,
          accountId: chatAccountId,
          externalId: m.thread.externalThreadId,
          contactUserId: actor.id,
          title: from.displayName ?? "",
          ticketId: id,
          messageId,
          text,
          source: m.source,
        });
      };

      if (ticketId !== null && target) {
        const messageId = await addMessage(tx, emit, actor, {
          ticketId,
          text,
          isInternal: false,
          attachmentIds,
          source: m.source,
        });
        await m.afterWrite?.(tx, { ticketId, messageId });
        // The requester wrote on this channel: staff replies go back to them this way.
        if (actor.id === target.requesterId) await bind(ticketId, messageId);
        return finish("reply", { ticketId, messageId });
      }
      const route = decision?.action === "route" ? decision : undefined;
      const description =
        clip(
          m.text.trim(),
          LIMITS.descriptionMax - rejectedNote.length,
          "[…the full text is in the attached original]",
        ) + rejectedNote;
      const newId = await createTicket(
        tx,
        emit,
        actor,
        {
          title: (m.subject.replace(/\s+/g, " ").trim() || "(no subject)").slice(0, LIMITS.titleMax),
          description,
          queue_id: route?.queueId ?? m.queueId ?? undefined,
          priority_id: route?.priorityId ?? m.newTicket?.priorityId ?? undefined,
          category_id: route?.categoryId ?? m.newTicket?.categoryId ?? undefined,
          attachment_ids: attachmentIds,
        },
        m.source,
        catalog,
      );
      await m.afterWrite?.(tx, { ticketId: newId, messageId: null });
      await bind(newId, null);
      return finish("ticket", { ticketId: newId });
    });
  } catch (error) {
    await discardReceivedFiles(ctx, stored);
    throw error;
  }
  // A repeat, a refusal or a message a bot took over keeps no files.
  if (result.status === "duplicate" || result.status === "rejected" || result.status === "handled") {
    await discardReceivedFiles(ctx, stored);
  }
  return result;
}

/**
 * Records a message that does not become a ticket (ignored: automated; rejected: unusable, or
 * refused before it was read), once: a repeat is reported as a duplicate.
 */
export async function recordInbound(
  ctx: Pick<AppContext, "db" | "logger">,
  item: {
    channel: string;
    accountId: number | null;
    externalId: string | null;
    deliveryKey: string | null;
    status: "ignored" | "rejected";
    reason: string;
    sender?: string | null;
    subject?: string | null;
    size?: number;
  },
): Promise<TIngestResult> {
  const inserted = await insertInboundItem(ctx.db, { ...item, size: Math.min(item.size ?? 0, 2 ** 31 - 1) });
  ctx.logger.info(
    { channel: item.channel, accountId: item.accountId, status: item.status, reason: item.reason },
    "inbound message not turned into a ticket",
  );
  return { status: inserted === null ? "duplicate" : item.status, reason: item.reason };
}
