import type { TLanguage } from "@helpdesk/contracts";
import type { InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User } from "grammy/types";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { findActorsByIds } from "../../modules/auth/auth.repository.js";
import { resolveContact } from "../../modules/contacts/contacts.usecases.js";
import { ingestInbound, type TIngestResult } from "../../modules/conversations/conversations.inbound.js";
import { findThreadTarget } from "../../modules/conversations/conversations.repository.js";
import { canViewTicket } from "../../modules/tickets/tickets.policies.js";
import type { DbOrTx } from "../../platform/db/index.js";
import { withTx } from "../../platform/unit-of-work.js";
import { TELEGRAM_CHANNEL } from "./telegram.accounts.js";
import { apiSignal, splitMessageText } from "./telegram.api.js";
import {
  displayNameOf,
  fetchFiles,
  fileRefsOf,
  languageOf,
  subjectOf,
  type TFileRef,
} from "./telegram.inbound.js";
import { isLinkCode, linkTelegramByCode } from "./telegram.linking.js";
import {
  clearDialogue,
  findDialogue,
  findOpenRequests,
  findPublicConversation,
  findRefTicket,
  findRequestHead,
  findTelegramPerson,
  insertMessageRefs,
  saveDialogue,
  setPersonLanguage,
  type TTelegramPerson,
} from "./telegram.requester.repository.js";
import { botTexts, isCancelWord, type TBotTexts } from "./telegram.requester.texts.js";
import type { TBotSession } from "./telegram.updates.js";

/** Requests `/my` shows, and public messages a request's view shows. */
const MY_LIMIT = 10;
const VIEW_MESSAGES = 10;
/** Files one dialogue may collect (Telegram albums are up to 10). */
const DIALOGUE_FILES_MAX = 10;

const ZFileRef = z.object({
  fileId: z.string(),
  size: z.number().optional(),
  filename: z.string(),
  contentType: z.string().optional(),
});

/**
 * Where a chat with the requester bot is. `key` is the dialogue's exactly-once id: the message
 * that began it, so the request it files is made once however often "Send" arrives.
 */
const ZDialogue = z.discriminatedUnion("step", [
  z.object({ step: z.literal("category"), key: z.number() }),
  z.object({ step: z.literal("priority"), key: z.number(), categoryId: z.number().nullable() }),
  z.object({
    step: z.literal("text"),
    key: z.number(),
    categoryId: z.number().nullable(),
    priorityId: z.number().nullable(),
    files: z.array(ZFileRef).default([]),
  }),
  z.object({
    step: z.literal("more"),
    key: z.number(),
    categoryId: z.number().nullable(),
    priorityId: z.number().nullable(),
    text: z.string(),
    files: z.array(ZFileRef),
    messageIds: z.array(z.number()),
  }),
  /** A message written outside a dialogue, waiting for "file it as a request?". */
  z.object({ step: z.literal("confirm"), key: z.number(), text: z.string(), files: z.array(ZFileRef) }),
  /** "Reply" was pressed on a request: the next message goes to it. */
  z.object({ step: z.literal("reply"), ticketId: z.number() }),
]);
type TDialogue = z.infer<typeof ZDialogue>;

/** One update in a private chat with the requester bot: who, where, in which language. */
type TTurn = {
  s: TBotSession;
  update: Update;
  chatId: number;
  from: User;
  person: TTelegramPerson | undefined;
  lang: TLanguage;
  t: TBotTexts;
  dialogue: TDialogue | undefined;
};

/** The web page of a request. */
export const ticketUrl = (ctx: Pick<AppContext, "config">, ticketId: number) =>
  `${ctx.config.publicUrl}/tickets/${ticketId}`;

/**
 * The buttons under every message about a request: "Reply" (the bot asks for the text) and
 * "Open in browser". Telegram refuses URL buttons to local addresses, so that one is shown only
 * when the product has a public https address.
 */
export function requestKeyboard(
  ctx: Pick<AppContext, "config">,
  t: Pick<TBotTexts, "reply" | "openInBrowser">,
  ticketId: number,
): InlineKeyboardMarkup {
  const row: InlineKeyboardButton[] = [{ text: t.reply, callback_data: `r:${ticketId}` }];
  if (ctx.config.publicUrl.startsWith("https://"))
    row.push({ text: t.openInBrowser, url: ticketUrl(ctx, ticketId) });
  return { inline_keyboard: [row] };
}

const button = (text: string, data: string): InlineKeyboardButton => ({ text, callback_data: data });

/** Two buttons per row, as Telegram clients show them best on a phone. */
function rowsOf(buttons: InlineKeyboardButton[], perRow = 2): InlineKeyboardButton[][] {
  const rows: InlineKeyboardButton[][] = [];
  for (let i = 0; i < buttons.length; i += perRow) rows.push(buttons.slice(i, i + perRow));
  return rows;
}

const clipLine = (s: string, max: number) => {
  const line = s.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/** Sends a text to the chat (split when long); the last part's id comes back. */
async function say(
  turn: Pick<TTurn, "s" | "chatId">,
  text: string,
  extra: { reply_markup?: InlineKeyboardMarkup | { force_reply: true }; replyTo?: number } = {},
): Promise<Message.TextMessage> {
  const parts = splitMessageText(text);
  let sent: Message.TextMessage | undefined;
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    sent = await turn.s.api.sendMessage(
      turn.chatId,
      part,
      {
        ...(last && extra.reply_markup ? { reply_markup: extra.reply_markup } : {}),
        ...(i === 0 && extra.replyTo
          ? { reply_parameters: { message_id: extra.replyTo, allow_sending_without_reply: true } }
          : {}),
      },
      apiSignal(turn.s.signal),
    );
  }
  return sent!;
}

/** Remembers that messages of this chat are about a request. */
const refer = (
  turn: Pick<TTurn, "s" | "chatId">,
  ticketId: number,
  messageIds: number[],
  db: DbOrTx = turn.s.ctx.db,
) =>
  insertMessageRefs(
    db,
    messageIds.map((messageId) => ({
      accountId: turn.s.account.id,
      chatId: turn.chatId,
      messageId,
      ticketId,
    })),
  );

async function setDialogue(turn: TTurn, dialogue: TDialogue | undefined) {
  if (dialogue) await saveDialogue(turn.s.ctx.db, turn.s.account.id, turn.chatId, dialogue);
  else if (turn.dialogue) await clearDialogue(turn.s.ctx.db, turn.s.account.id, turn.chatId);
  turn.dialogue = dialogue;
}

async function openTurn(s: TBotSession, update: Update, chatId: number, from: User): Promise<TTurn> {
  const [person, stored, settings] = await Promise.all([
    findTelegramPerson(s.ctx.db, from.id),
    findDialogue(s.ctx.db, s.account.id, chatId),
    s.ctx.settings.get(),
  ]);
  const parsed = ZDialogue.safeParse(stored);
  const lang = person?.language ?? languageOf(from.language_code) ?? settings.default_language;
  return {
    s,
    update,
    chatId,
    from,
    person,
    lang,
    t: botTexts(lang),
    dialogue: parsed.success ? parsed.data : undefined,
  };
}

/**
 * The requester bot: people file requests with a guided dialogue (`/new`: category, priority,
 * text, photos and documents; "cancel" at any step), follow them (`/my`, a request's
 * conversation), add to one by replying to any message about it, link their account (`/start
 * <code>` from the profile's deep link) and choose a language (`/lang`). Plain text outside a
 * dialogue asks whether to file it. Requests and messages go through `ingestInbound` with keys
 * that make a repeated update harmless. A later mode (the AI assistant) plugs in next to this.
 */
export async function handleRequesterUpdate(s: TBotSession, update: Update): Promise<void> {
  if (update.callback_query) return handleButton(s, update);
  const m = update.message;
  if (m?.chat.type !== "private" || !m.from || m.from.is_bot) return;
  const turn = await openTurn(s, update, m.chat.id, m.from);
  const text = (m.text ?? m.caption ?? "").trim();
  const command = /^\/([a-z_]+)(?:@\w+)?(?:\s+(.*))?$/is.exec(text);
  if (command) return handleCommand(turn, m, command[1]!.toLowerCase(), (command[2] ?? "").trim());
  if (turn.dialogue && isCancelWord(text)) return cancel(turn);
  return handleWriting(turn, m, text);
}

async function handleCommand(turn: TTurn, m: Message, name: string, payload: string): Promise<void> {
  const { t } = turn;
  switch (name) {
    case "start":
      if (payload && isLinkCode(payload)) return link(turn, payload);
      await setDialogue(turn, undefined);
      await say(turn, t.welcome);
      return;
    case "new":
      return startNew(turn, m);
    case "my":
      return listMine(turn);
    case "help":
      await say(turn, t.help);
      return;
    case "lang":
      await say(turn, t.chooseLanguage, {
        reply_markup: { inline_keyboard: [[button("Русский", "l:ru"), button("English", "l:en")]] },
      });
      return;
    case "cancel":
      return cancel(turn);
    default:
      await say(turn, t.help);
  }
}

async function cancel(turn: TTurn) {
  await setDialogue(turn, undefined);
  await say(turn, turn.t.cancelled);
}

async function link(turn: TTurn, code: string) {
  const { t, from } = turn;
  const outcome = await linkTelegramByCode(turn.s.ctx, code, {
    id: from.id,
    displayName: displayNameOf(from),
    language: languageOf(from.language_code),
  });
  if (outcome.status === "invalid") return void (await say(turn, t.linkInvalid));
  if (outcome.status === "deactivated") return void (await say(turn, t.deactivated));
  await setDialogue(turn, undefined);
  // The account's language from now on.
  const person = await findTelegramPerson(turn.s.ctx.db, from.id);
  const lt = botTexts(person?.language ?? turn.lang);
  await say(turn, outcome.status === "linked" ? lt.linked(outcome.name) : lt.alreadyLinked(outcome.name));
}

async function startNew(turn: TTurn, m: Message) {
  const catalog = await turn.s.ctx.catalog.get();
  const name = (e: { nameRu: string; nameEn: string }) => (turn.lang === "ru" ? e.nameRu : e.nameEn);
  const categories = [...catalog.categories.values()].filter((c) => c.isActive);
  if (categories.length === 0) return askPriority(turn, { key: m.message_id, categoryId: null });
  await setDialogue(turn, { step: "category", key: m.message_id });
  await say(turn, turn.t.askCategory, {
    reply_markup: {
      inline_keyboard: [
        ...rowsOf(categories.map((c) => button(clipLine(name(c), 40), `c:${c.id}`))),
        [button(turn.t.skip, "c:0"), button(turn.t.cancel, "x")],
      ],
    },
  });
}

async function askPriority(turn: TTurn, d: { key: number; categoryId: number | null }) {
  const catalog = await turn.s.ctx.catalog.get();
  const priorities = [...catalog.priorities.values()].filter((p) => p.isActive);
  const name = (e: { nameRu: string; nameEn: string }) => (turn.lang === "ru" ? e.nameRu : e.nameEn);
  await setDialogue(turn, { step: "priority", ...d });
  await say(turn, turn.t.askPriority, {
    reply_markup: {
      inline_keyboard: [
        ...rowsOf(priorities.map((p) => button(clipLine(name(p), 40), `p:${p.id}`))),
        [button(turn.t.cancel, "x")],
      ],
    },
  });
}

const sendOrCancel = (t: TBotTexts): InlineKeyboardMarkup => ({
  inline_keyboard: [[button(t.send, "s"), button(t.cancel, "x")]],
});

/** A message that is not a command: a step of the dialogue, an addition to a request, or a question. */
async function handleWriting(turn: TTurn, m: Message, text: string): Promise<void> {
  const { t, dialogue: d } = turn;
  const refs = fileRefsOf(m);
  switch (d?.step) {
    case "category":
    case "priority":
      // The choice is made with the buttons: show them again.
      if (d.step === "category") return startNew(turn, { ...m, message_id: d.key } as Message);
      return askPriority(turn, d);
    case "text": {
      const files = [...d.files, ...refs].slice(0, DIALOGUE_FILES_MAX);
      if (!text) {
        await setDialogue(turn, { ...d, files });
        await say(turn, `${t.filesAttached(files.length)} ${t.needText}`);
        return;
      }
      await setDialogue(turn, { ...d, step: "more", text, files, messageIds: [m.message_id] });
      await say(turn, files.length > 0 ? `${t.filesAttached(files.length)}\n${t.askMore}` : t.askMore, {
        reply_markup: sendOrCancel(t),
      });
      return;
    }
    case "more": {
      const files = [...d.files, ...refs].slice(0, DIALOGUE_FILES_MAX);
      await setDialogue(turn, {
        ...d,
        text: text ? `${d.text}\n\n${text}` : d.text,
        files,
        messageIds: [...d.messageIds, m.message_id],
      });
      await say(turn, `${t.filesAttached(files.length)}\n${t.askMore}`, { reply_markup: sendOrCancel(t) });
      return;
    }
    case "reply":
      await setDialogue(turn, undefined);
      return addToRequest(turn, m, d.ticketId);
  }
  // A Telegram reply to a message about a request adds to it.
  const repliedTo = m.reply_to_message?.message_id;
  const ticketId =
    repliedTo === undefined
      ? null
      : await findRefTicket(turn.s.ctx.db, turn.s.account.id, turn.chatId, repliedTo);
  if (ticketId !== null) return addToRequest(turn, m, ticketId);
  if (!text && refs.length === 0) return; // a sticker, a location…: nothing to file
  await setDialogue(turn, { step: "confirm", key: m.message_id, text, files: refs });
  await say(turn, t.askFile, {
    replyTo: m.message_id,
    reply_markup: { inline_keyboard: [[button(t.fileYes, "f"), button(t.fileNo, "x")]] },
  });
}

/** The keys of a message written into the chat (the same as the inbox's: one message, one record). */
const messageKeys = (turn: TTurn, messageId: number) => ({
  channel: TELEGRAM_CHANNEL,
  externalId: `${turn.s.bot.id}:${turn.chatId}:${messageId}`,
  deliveryKey: `update:${turn.s.bot.id}:${turn.update.update_id}`,
});

/** Files of the dialogue, fetched now (one refused or too large becomes a note). */
async function fetchDialogueFiles(turn: TTurn, refs: TFileRef[]) {
  return fetchFiles({ ...turn.s, config: turn.s.ctx.config }, refs, true);
}

function inboundOf(turn: TTurn, a: { text: string; subject: string; notes: string[] }) {
  const { s, from } = turn;
  const text = [a.text, ...a.notes].filter(Boolean).join("\n\n");
  return {
    accountId: s.account.id,
    size: text.length,
    from: {
      externalId: String(from.id),
      displayName: displayNameOf(from),
      language: languageOf(from.language_code),
    },
    subject: a.subject,
    text,
    queueId: s.account.queueId,
    source: "telegram" as const,
    // The requester bot's requests are the person's tickets, not chats of the support inbox.
    chat: false,
  };
}

/** Files the request the dialogue (or a confirmed message) describes, then says its number. */
async function fileRequest(
  turn: TTurn,
  d: {
    key: number;
    text: string;
    files: TFileRef[];
    categoryId?: number | null;
    priorityId?: number | null;
    messageIds: number[];
  },
) {
  const { files, notes } = await fetchDialogueFiles(turn, d.files);
  const result = await ingestInbound(turn.s.ctx, {
    ...messageKeys(turn, d.key),
    ...inboundOf(turn, { text: d.text, subject: subjectOf(d.text), notes }),
    files,
    thread: { externalThreadId: String(turn.chatId), findTicket: async () => null },
    newTicket: { categoryId: d.categoryId, priorityId: d.priorityId },
    afterWrite: (tx, written) => refer(turn, written.ticketId, d.messageIds, tx),
  });
  await setDialogue(turn, undefined);
  await announce(turn, result, subjectOf(d.text));
}

/** Adds a message to a request the person replied about (a new request when they may not add to it). */
async function addToRequest(turn: TTurn, m: Message, ticketId: number) {
  const written = (m.text ?? m.caption ?? "").trim();
  const { files, notes } = await fetchDialogueFiles(turn, fileRefsOf(m));
  const result = await ingestInbound(turn.s.ctx, {
    ...messageKeys(turn, m.message_id),
    ...inboundOf(turn, { text: written, subject: subjectOf(written), notes }),
    files,
    thread: { externalThreadId: String(turn.chatId), findTicket: async () => ticketId },
    afterWrite: (tx, w) => refer(turn, w.ticketId, [m.message_id], tx),
  });
  await announce(turn, result, subjectOf(written), m.message_id);
}

/** Says what became of what the person sent. */
async function announce(turn: TTurn, result: TIngestResult, title: string, replyTo?: number) {
  const { t } = turn;
  if (result.status === "rejected") {
    await say(turn, t.deactivated);
    return;
  }
  if (result.ticketId === undefined || result.status === "duplicate") return;
  const text = result.status === "ticket" ? t.created(result.ticketId, title) : t.added(result.ticketId);
  const sent = await say(turn, text, {
    replyTo,
    reply_markup: requestKeyboard(turn.s.ctx, t, result.ticketId),
  });
  await refer(turn, result.ticketId, [sent.message_id]);
}

async function listMine(turn: TTurn) {
  const { t, person } = turn;
  const { rows, total } = person
    ? await findOpenRequests(turn.s.ctx.db, person.id, MY_LIMIT)
    : { rows: [], total: 0 };
  if (rows.length === 0) {
    await say(turn, t.myNone);
    return;
  }
  const lines = rows.map((r) => `#${r.id} ${clipLine(r.title, 60)} — ${t.status(r.status)}`);
  if (total > rows.length) lines.push(t.myMore(total - rows.length));
  await say(turn, `${t.myHeader}\n\n${lines.join("\n")}`, {
    reply_markup: {
      inline_keyboard: rows.map((r) => [button(`#${r.id} ${clipLine(r.title, 40)}`, `o:${r.id}`)]),
    },
  });
}

/** The person as an actor, to check they may see a request (requesters: their own). */
async function actorOf(turn: TTurn) {
  if (!turn.person?.isActive) return undefined;
  const [state] = await findActorsByIds(turn.s.ctx.db, [turn.person.id]);
  return state?.isActive ? state : undefined;
}

/** A request's view: title, status and the latest public messages, with Reply and Open buttons. */
async function showRequest(turn: TTurn, ticketId: number) {
  const { t } = turn;
  const [actor, ticket] = await Promise.all([actorOf(turn), findThreadTarget(turn.s.ctx.db, ticketId)]);
  if (!actor || !ticket || !canViewTicket(actor, ticket)) {
    await say(turn, t.notYours);
    return;
  }
  const head = await findRequestHead(turn.s.ctx.db, ticketId);
  const conversation = await findPublicConversation(turn.s.ctx.db, ticketId, VIEW_MESSAGES);
  const body =
    conversation.length === 0
      ? t.noPublicMessages
      : conversation
          .map(
            (c) =>
              `${t.from(c.authorId === actor.id ? t.you : (c.authorName ?? "—"))}\n${clipText(c.text, 600)}`,
          )
          .join("\n\n");
  const text = `#${ticketId} ${head?.title ?? ""}\n${head ? t.status(head.status) : ""}\n\n${body}`;
  // The view is one message: its tail (the latest messages) is kept when it is too long.
  const fitted = text.length > 4000 ? `…${text.slice(text.length - 3990)}` : text;
  const sent = await say(turn, fitted, { reply_markup: requestKeyboard(turn.s.ctx, t, ticketId) });
  await refer(turn, ticketId, [sent.message_id]);
}

const clipText = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** A button under one of the bot's messages. */
async function handleButton(s: TBotSession, update: Update): Promise<void> {
  const q = update.callback_query!;
  const chat = q.message?.chat;
  if (chat?.type !== "private" || q.from.is_bot) {
    await s.api.answerCallbackQuery(q.id, {}, apiSignal(s.signal));
    return;
  }
  const turn = await openTurn(s, update, chat.id, q.from);
  const data = q.data ?? "";
  const d = turn.dialogue;
  const [kind, arg] = data.split(":");
  const id = Number(arg);
  // Whatever happens, Telegram stops the button's spinner.
  const done = () => s.api.answerCallbackQuery(q.id, {}, apiSignal(s.signal));
  // A dialogue button pressed after the dialogue moved on (or a second tap) does nothing.
  const stale = async () => {
    await say(turn, turn.t.stale);
    await done();
  };
  const dropKeyboard = () =>
    q.message
      ? s.api
          .editMessageReplyMarkup(
            chat.id,
            q.message.message_id,
            { reply_markup: { inline_keyboard: [] } },
            apiSignal(s.signal),
          )
          .catch(() => {})
      : Promise.resolve();

  switch (kind) {
    case "c":
      if (d?.step !== "category") return stale();
      await dropKeyboard();
      await askPriority(turn, { key: d.key, categoryId: id > 0 ? id : null });
      break;
    case "p":
      if (d?.step !== "priority") return stale();
      await dropKeyboard();
      await setDialogue(turn, {
        step: "text",
        key: d.key,
        categoryId: d.categoryId,
        priorityId: id > 0 ? id : null,
        files: [],
      });
      await say(turn, turn.t.askText);
      break;
    case "s":
      if (d?.step !== "more") return stale();
      await dropKeyboard();
      await fileRequest(turn, d);
      break;
    case "f":
      if (d?.step !== "confirm") return stale();
      await dropKeyboard();
      await fileRequest(turn, { key: d.key, text: d.text, files: d.files, messageIds: [d.key] });
      break;
    case "x":
      await dropKeyboard();
      if (d?.step === "confirm") {
        await setDialogue(turn, undefined);
        await say(turn, turn.t.notFiled);
      } else if (d) await cancel(turn);
      break;
    case "o":
      await showRequest(turn, id);
      break;
    case "r": {
      const actor = await actorOf(turn);
      const ticket = await findThreadTarget(s.ctx.db, id);
      if (!actor || !ticket || !canViewTicket(actor, ticket)) {
        await say(turn, turn.t.notYours);
        break;
      }
      await setDialogue(turn, { step: "reply", ticketId: id });
      const prompt = await say(turn, turn.t.replyPrompt(id), { reply_markup: { force_reply: true } });
      await refer(turn, id, [prompt.message_id]);
      break;
    }
    case "l":
      if (arg === "ru" || arg === "en") await chooseLanguage(turn, arg);
      break;
  }
  await done();
}

/** `/lang`: the person's language, for the bot and (once linked) the whole product. */
async function chooseLanguage(turn: TTurn, language: TLanguage) {
  const { s, from } = turn;
  if (turn.person) await setPersonLanguage(s.ctx.db, turn.person.id, language);
  else {
    const settings = await s.ctx.settings.get();
    await withTx(s.ctx, (tx) =>
      resolveContact(
        tx,
        {
          channel: TELEGRAM_CHANNEL,
          externalId: String(from.id),
          displayName: displayNameOf(from),
          language,
        },
        settings.default_language,
      ),
    );
  }
  await say(turn, botTexts(language).languageSet);
}

/**
 * The requester bot's command menu (Telegram shows it under "/"), in Russian for Russian
 * clients and English for the rest. Best effort: a bot without a menu still works.
 */
export async function announceCommands(
  ctx: Pick<AppContext, "logger">,
  accountId: number,
  api: TBotSession["api"],
  signal: AbortSignal,
) {
  for (const lang of ["en", "ru"] as const) {
    const t = botTexts(lang);
    try {
      await api.setMyCommands(
        t.commands.map(([command, description]) => ({ command, description })),
        lang === "ru" ? { language_code: "ru" } : {},
        apiSignal(signal),
      );
    } catch (error) {
      ctx.logger.warn({ accountId, err: String(error) }, "Telegram requester bot: command menu not set");
    }
  }
}
