import type { TChat, TChatMessage, TChatMessagePage, TTicketSource } from "@helpdesk/contracts";
import type { AppContext } from "../../app-context.js";
import type { DbOrTx } from "../../platform/db/index.js";
import { decodeCursor, encodeCursor, isIdCursor } from "../../platform/http.js";
import { type TEmit, type TUnitOfWorkDeps, withTx } from "../../platform/unit-of-work.js";
import type { TActor } from "../auth/auth.actor.js";
import {
  ensureOutbound,
  findDeliveries,
  findReplyBinding,
} from "../conversations/conversations.repository.js";
import { createMessageNotFoundError } from "../tickets/tickets.errors.js";
import { lockTicket } from "../tickets/tickets.repository.js";
import { addMessage } from "../tickets/tickets.usecases.js";
import {
  assignChatAutomatically,
  giveChat,
  isEligibleAgent,
  type TAssignmentSettings,
} from "./inbox.assignment.js";
import {
  createAssignForbiddenError,
  createChatNotFoundError,
  createChatTicketClosedError,
  createInvalidAssigneeError,
  createMessageNotInChatError,
} from "./inbox.errors.js";
import { canAssignChat, canDispatchChats, canReplyInChat, canViewChat } from "./inbox.policies.js";
import { presentChat, presentChatMessage } from "./inbox.presenter.js";
import {
  findChatRowForReaders,
  findMessageAttachments,
  findVisibleChatOfMessage,
  findVisibleChatRow,
  insertChatIfNew,
  insertOpeningMessage,
  isMessageOfChat,
  listChatMessageRows,
  listChats,
  lockChat,
  type TChatListFilter,
  type TChatMessageRow,
  updateChatInbound,
  updateChatsOutbound,
  upsertChatRead,
} from "./inbox.repository.js";

type TInboxDeps = TUnitOfWorkDeps & Pick<AppContext, "config">;

/** What `ingestInbound` tells the inbox about a message on a chat channel. */
export type TChatInbound = {
  channel: string;
  accountId: number;
  /** The channel's id of the chat (the binding's external thread id). */
  externalId: string;
  contactUserId: number;
  /** The contact's name as the channel gives it. */
  title: string;
  ticketId: number;
  /** The message written; null when the message opened a new ticket (its text is the description). */
  messageId: number | null;
  /** The message's text as a chat message (for a new ticket's opening message). */
  text: string;
  source: TTicketSource;
};

/**
 * Keeps the chat of a message from a contact, in the message's transaction: creates it on the
 * first message, moves it to the message's ticket, and finds an agent when it needs one (new,
 * a new ticket after the last was closed, or its agent no longer works the department).
 *
 * A new ticket's text is its description, not a message; in a chat every message the contact
 * sent is a message (it has an id to read up to and to reply to), so the opening one is
 * written as the ticket's first public message too, with the files the ticket got.
 */
export async function touchChat(
  tx: DbOrTx,
  emit: TEmit,
  settings: TAssignmentSettings,
  m: TChatInbound,
): Promise<void> {
  let messageId = m.messageId;
  messageId ??= await insertOpeningMessage(tx, {
    ticketId: m.ticketId,
    authorId: m.contactUserId,
    text: m.text,
    source: m.source,
  });
  const title = (m.title.trim() || m.externalId).slice(0, 200);
  await insertChatIfNew(tx, { ...m, title });
  const chat = await lockChat(tx, { accountId: m.accountId, externalId: m.externalId });
  if (!chat) throw new Error(`chat ${m.accountId}/${m.externalId} vanished`);
  const isNewTicket = chat.ticketId !== m.ticketId;
  await updateChatInbound(tx, chat.id, {
    contactUserId: m.contactUserId,
    title,
    ticketId: m.ticketId,
    messageId,
  });
  const current = { ...chat, ticketId: m.ticketId };
  if (chat.assigneeId !== null && !isNewTicket) {
    // Working on it already, unless they left the department or were deactivated.
    if (await isEligibleAgent(tx, settings, current, chat.assigneeId)) return;
  }
  await assignChatAutomatically(tx, emit, settings, current, chat.assigneeId);
}

/** The chats the actor may see, a page at a time. */
export async function findChats(db: DbOrTx, actor: TActor, filter: TChatListFilter) {
  const { rows, next } = await listChats(db, actor, filter);
  return { results: rows.map((r) => presentChat(r, actor)), next };
}

/** One chat the actor may see, or 404. */
export async function findChat(db: DbOrTx, actor: TActor, chatId: number): Promise<TChat> {
  const row = await findVisibleChatRow(db, actor, chatId);
  if (!row) throw createChatNotFoundError();
  return presentChat(row, actor);
}

/** Loads the chat for a use-case: 404 when the actor may not see it (the SQL rule and the policy). */
async function loadVisibleChat(db: DbOrTx, actor: TActor, chatId: number, lock = false) {
  const chat = await lockChat(db, { chatId }, actor, lock);
  if (!chat || !canViewChat(actor, chat)) throw createChatNotFoundError();
  return chat;
}

/** A chat's public messages, newest first (`by_chat`), or 404. */
export async function findChatMessages(
  db: DbOrTx,
  actor: TActor,
  q: { chatId: number; limit: number; cursor?: string; beforeId?: number; messageId?: number },
): Promise<TChatMessagePage> {
  const page = await findChatMessagePage(db, actor, q);
  return {
    results: page.results,
    next: page.nextBeforeId === null ? null : encodeCursor({ id: page.nextBeforeId }),
  };
}

/**
 * The same page with the next page's start as a message id (`before`), as the WebSocket's
 * `get_chat_messages` answers it.
 */
export async function findChatMessagePage(
  db: DbOrTx,
  actor: TActor,
  q: { chatId: number; limit: number; cursor?: string; beforeId?: number; messageId?: number },
): Promise<{ results: TChatMessage[]; nextBeforeId: number | null }> {
  const chat = await loadVisibleChat(db, actor, q.chatId);
  const before = q.cursor ? decodeCursor(q.cursor, isIdCursor(Number.MAX_SAFE_INTEGER)).id : q.beforeId;
  const rows = await listChatMessageRows(db, chat.id, {
    limit: q.limit + 1,
    beforeId: before,
    messageId: q.messageId,
  });
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    results: await presentChatMessageRows(db, chat.id, page),
    nextBeforeId: rows.length > q.limit && last ? Number(last.id) : null,
  };
}

async function presentChatMessageRows(db: DbOrTx, chatId: number, page: TChatMessageRow[]) {
  const ids = page.map((r) => Number(r.id));
  // One after the other: `db` may be a transaction (one connection).
  const deliveries = await findDeliveries(db, ids);
  const files = await findMessageAttachments(db, ids);
  return page.map((r) =>
    presentChatMessage(
      chatId,
      r,
      deliveries.get(Number(r.id)),
      files.filter((f) => f.messageId === Number(r.id)),
    ),
  );
}

/**
 * One public message of a chat as `by_chat` shows it, for the WebSocket hub, which has
 * already decided who may see the chat. Undefined when it is not (or no longer) one.
 */
export async function findChatMessageById(
  db: DbOrTx,
  chatId: number,
  messageId: number,
): Promise<TChatMessage | undefined> {
  const rows = await listChatMessageRows(db, chatId, { limit: 1, messageId });
  return (await presentChatMessageRows(db, chatId, rows))[0];
}

/**
 * The chat as each of these readers sees it (their unread count and abilities), for the
 * WebSocket hub, which has already decided that they may see it. Empty when the chat is gone.
 */
export async function presentChatForReaders(
  db: DbOrTx,
  chatId: number,
  readers: TActor[],
): Promise<Map<number, TChat>> {
  const found = await findChatRowForReaders(db, chatId, [...new Set(readers.map((r) => r.id))]);
  const out = new Map<number, TChat>();
  if (!found) return out;
  for (const reader of readers) {
    if (out.has(reader.id)) continue;
    out.set(reader.id, presentChat({ ...found.row, unread_count: found.unread.get(reader.id) ?? 0 }, reader));
  }
  return out;
}

/**
 * A staff reply in the chat of message `messageId`: a public message on the chat's current
 * ticket, which the conversations processor sends back through the channel (queued here, in
 * the same transaction, so the answer already says `queued`). A closed ticket is refused (409
 * `inbox.ticket_closed`): reopening is a ticket action of its own, and the contact's next
 * message opens a new request anyway. `attachmentId`: a file the actor uploaded and has not
 * used (else 400 `attachments.invalid`).
 */
export async function replyInChat(
  deps: TUnitOfWorkDeps,
  actor: TActor,
  input: { messageId: number; text: string; attachmentId?: string },
) {
  return withTx(deps, async (tx, emit) => {
    const chat = await findVisibleChatOfMessage(tx, actor, input.messageId);
    if (!chat || !canReplyInChat(actor, chat)) throw createMessageNotFoundError();
    if (chat.ticketId === null || chat.ticketStatus === "closed")
      throw createChatTicketClosedError(chat.ticketId);
    const id = await addMessage(tx, emit, actor, {
      ticketId: chat.ticketId,
      text: input.text,
      isInternal: false,
      attachmentIds: input.attachmentId ? [input.attachmentId] : [],
    });
    const binding = await findReplyBinding(tx, chat.ticketId);
    if (binding) await ensureOutbound(tx, id, binding);
    await updateChatsOutbound(tx, chat.ticketId, id);
    const page = await findChatMessages(tx, actor, { chatId: chat.id, limit: 1, messageId: id });
    return page.results[0]!;
  });
}

/**
 * A dispatcher (an operator of the department) or an admin gives the chat to an agent: an
 * active executor of the department of the chat's queue (422 `inbox.invalid_assignee`
 * otherwise). Their limit and presence are the dispatcher's call, not checked. Executors: 403.
 */
export async function assignChat(deps: TInboxDeps, actor: TActor, chatId: number, userId: number) {
  if (!canDispatchChats(actor)) throw createAssignForbiddenError();
  let emitted = false;
  const from = await withTx(deps, async (tx, emit) => {
    const seen = await loadVisibleChat(tx, actor, chatId);
    if (!canAssignChat(actor, seen)) throw createAssignForbiddenError();
    // The ticket before the chat, as an inbound message locks them.
    if (seen.ticketId !== null) await lockTicket(tx, seen.ticketId);
    const chat = await loadVisibleChat(tx, actor, chatId, true);
    const agent = await isEligibleAgent(tx, deps.config.inbox, chat, userId);
    if (!agent) throw createInvalidAssigneeError(userId);
    await giveChat(
      tx,
      (e) => {
        emitted = true;
        emit(e);
      },
      chat,
      agent,
      actor.id,
    );
    return chat.assigneeId;
  });
  // The chat changed hands without a ticket event (its ticket is closed, or already the agent's):
  // the WebSocket hubs are told directly, so the chat still moves on the agents' screens.
  if (!emitted && from !== userId) announceChatChanged(deps.bus, chatId, from);
}

/** The ephemeral bus signal the WebSocket hubs turn into `chat_updated` / `chat_removed` (after commit). */
export const CHAT_CHANGED_SIGNAL = "chat_changed";
function announceChatChanged(bus: TUnitOfWorkDeps["bus"], chatId: number, previousAssigneeId: number | null) {
  bus.publishEphemeral({
    type: CHAT_CHANGED_SIGNAL,
    data: { chat_id: chatId, previous_assignee_id: previousAssigneeId },
  });
}

/**
 * Marks the chat read for the actor up to `messageId` (a message of this chat, else 400
 * `inbox.message_not_in_chat`) or its latest message. The mark never moves back.
 */
export async function markChatRead(db: DbOrTx, actor: TActor, chatId: number, messageId?: number) {
  const chat = await loadVisibleChat(db, actor, chatId);
  if (messageId !== undefined && !(await isMessageOfChat(db, chat.id, messageId))) {
    throw createMessageNotInChatError(messageId);
  }
  const upTo = messageId ?? chat.lastMessageId;
  if (upTo !== null) await upsertChatRead(db, chat.id, actor.id, upTo);
}
