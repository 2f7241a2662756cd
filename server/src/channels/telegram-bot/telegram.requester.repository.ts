import { and, desc, eq, gt, isNull, ne, sql } from "drizzle-orm";
import { idArray } from "../../platform/db/id-array.js";
import type { DbOrTx } from "../../platform/db/index.js";
import {
  contactIdentities,
  telegramDialogues,
  telegramLinkCodes,
  telegramMessageRefs,
  ticketMessages,
  tickets,
  users,
} from "../../platform/db/schema/index.js";
import { TELEGRAM_CHANNEL } from "./telegram.accounts.js";

/** A dialogue untouched this long is forgotten (the person moved on). */
export const DIALOGUE_TTL_MS = 60 * 60 * 1000;

/** Where a chat with the requester bot is, if anywhere (stale dialogues are none). */
export async function findDialogue(db: DbOrTx, accountId: number, chatId: number): Promise<unknown> {
  const [row] = await db
    .select({ state: telegramDialogues.state })
    .from(telegramDialogues)
    .where(
      and(
        eq(telegramDialogues.accountId, accountId),
        eq(telegramDialogues.chatId, chatId),
        gt(telegramDialogues.updatedAt, new Date(Date.now() - DIALOGUE_TTL_MS)),
      ),
    );
  return row?.state;
}

export async function saveDialogue(db: DbOrTx, accountId: number, chatId: number, state: object) {
  await db
    .insert(telegramDialogues)
    .values({ accountId, chatId, state })
    .onConflictDoUpdate({
      target: [telegramDialogues.accountId, telegramDialogues.chatId],
      set: { state, updatedAt: new Date() },
    });
}

export async function clearDialogue(db: DbOrTx, accountId: number, chatId: number) {
  await db
    .delete(telegramDialogues)
    .where(and(eq(telegramDialogues.accountId, accountId), eq(telegramDialogues.chatId, chatId)));
}

/** Remembers that these messages of a bot's chat are about a request (a reply to one adds to it). */
export async function insertMessageRefs(
  db: DbOrTx,
  refs: { accountId: number; chatId: number; messageId: number; ticketId: number }[],
) {
  if (refs.length === 0) return;
  await db.insert(telegramMessageRefs).values(refs).onConflictDoNothing();
}

/** The request a message of a bot's chat is about, if the bot knows it. */
export async function findRefTicket(
  db: DbOrTx,
  accountId: number,
  chatId: number,
  messageId: number,
): Promise<number | null> {
  const [row] = await db
    .select({ ticketId: telegramMessageRefs.ticketId })
    .from(telegramMessageRefs)
    .where(
      and(
        eq(telegramMessageRefs.accountId, accountId),
        eq(telegramMessageRefs.chatId, chatId),
        eq(telegramMessageRefs.messageId, messageId),
      ),
    );
  return row?.ticketId ?? null;
}

export type TTelegramPerson = {
  id: number;
  name: string;
  email: string | null;
  language: "ru" | "en";
  isActive: boolean;
  isGuest: boolean;
  hasPassword: boolean;
};

const personColumns = {
  id: users.id,
  name: users.name,
  email: users.email,
  language: users.language,
  isActive: users.isActive,
  isGuest: users.isGuest,
  hasPassword: sql<boolean>`${users.passwordHash} IS NOT NULL`,
  mergedIntoId: users.mergedIntoId,
};

/**
 * The person a Telegram user is in the helpdesk (their identity `(telegram, id)`, a merged
 * contact followed to the one it became), or undefined when they never wrote or linked.
 */
export async function findTelegramPerson(
  db: DbOrTx,
  telegramUserId: number,
): Promise<TTelegramPerson | undefined> {
  const [row] = await db
    .select(personColumns)
    .from(contactIdentities)
    .innerJoin(users, eq(users.id, contactIdentities.userId))
    .where(
      and(
        eq(contactIdentities.channel, TELEGRAM_CHANNEL),
        eq(contactIdentities.externalId, String(telegramUserId)),
      ),
    );
  if (!row) return undefined;
  let person = row;
  for (let i = 0; i < 10 && person.mergedIntoId !== null; i++) {
    const [next] = await db.select(personColumns).from(users).where(eq(users.id, person.mergedIntoId));
    if (!next) break;
    person = next;
  }
  const { mergedIntoId: _m, ...rest } = person;
  return rest;
}

/** The Telegram user ids linked to these people (for notifications: a private chat's id is the user's). */
export async function findTelegramChats(db: DbOrTx, userIds: number[]): Promise<Map<number, number>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .select({ userId: contactIdentities.userId, externalId: contactIdentities.externalId })
    .from(contactIdentities)
    .where(
      and(
        eq(contactIdentities.channel, TELEGRAM_CHANNEL),
        sql`${contactIdentities.userId} = ANY(${idArray(userIds, "int")})`,
      ),
    )
    .orderBy(desc(contactIdentities.lastSeenAt));
  const chats = new Map<number, number>();
  for (const r of rows) {
    const chatId = Number(r.externalId);
    if (!chats.has(r.userId) && Number.isSafeInteger(chatId)) chats.set(r.userId, chatId);
  }
  return chats;
}

/** Changes a person's language (the bot's /lang). */
export async function setPersonLanguage(db: DbOrTx, userId: number, language: "ru" | "en") {
  await db.update(users).set({ language, updatedAt: new Date() }).where(eq(users.id, userId));
}

/** A requester's requests that are not closed, most recently active first. */
export async function findOpenRequests(db: DbOrTx, requesterId: number, limit: number) {
  const rows = await db
    .select({
      id: tickets.id,
      title: tickets.title,
      status: tickets.status,
      total: sql<number>`count(*) over ()`.mapWith(Number),
    })
    .from(tickets)
    .where(
      and(eq(tickets.requesterId, requesterId), ne(tickets.status, "closed"), isNull(tickets.archivedAt)),
    )
    .orderBy(desc(tickets.updatedAt), desc(tickets.id))
    .limit(limit);
  return { rows, total: rows[0]?.total ?? 0 };
}

/** A request's title and status. */
export async function findRequestHead(db: DbOrTx, ticketId: number) {
  const [row] = await db
    .select({ title: tickets.title, status: tickets.status })
    .from(tickets)
    .where(eq(tickets.id, ticketId));
  return row;
}

/** The latest public messages of a request, oldest first, with their authors' names. */
export async function findPublicConversation(db: DbOrTx, ticketId: number, limit: number) {
  const rows = await db
    .select({
      id: ticketMessages.id,
      text: ticketMessages.body,
      authorId: ticketMessages.authorId,
      authorName: users.name,
      createdAt: ticketMessages.createdAt,
    })
    .from(ticketMessages)
    .leftJoin(users, eq(users.id, ticketMessages.authorId))
    .where(and(eq(ticketMessages.ticketId, ticketId), eq(ticketMessages.isInternal, false)))
    .orderBy(desc(ticketMessages.id))
    .limit(limit);
  return rows.reverse();
}

/** Keeps a link code's hash for 15 minutes (older unused codes of the person are dropped). */
export async function insertLinkCode(db: DbOrTx, userId: number, codeHash: string, expiresAt: Date) {
  await db.delete(telegramLinkCodes).where(eq(telegramLinkCodes.userId, userId));
  await db.insert(telegramLinkCodes).values({ codeHash, userId, expiresAt });
}

/** Uses a link code once: the person it links, or undefined when it is unknown, used or expired. */
export async function consumeLinkCode(db: DbOrTx, codeHash: string): Promise<number | undefined> {
  const [row] = await db
    .update(telegramLinkCodes)
    .set({ usedAt: new Date() })
    .where(
      and(
        eq(telegramLinkCodes.codeHash, codeHash),
        isNull(telegramLinkCodes.usedAt),
        gt(telegramLinkCodes.expiresAt, new Date()),
      ),
    )
    .returning({ userId: telegramLinkCodes.userId });
  return row?.userId;
}

/** The Telegram identity of a person, if they linked one. */
export async function findLinkedTelegram(db: DbOrTx, userId: number) {
  const [row] = await db
    .select({ externalId: contactIdentities.externalId, displayName: contactIdentities.displayName })
    .from(contactIdentities)
    .where(and(eq(contactIdentities.channel, TELEGRAM_CHANNEL), eq(contactIdentities.userId, userId)))
    .orderBy(desc(contactIdentities.lastSeenAt))
    .limit(1);
  return row;
}

/** Unlinks a person's Telegram (their identities on the channel go; their requests stay). */
export async function deleteTelegramIdentities(db: DbOrTx, userId: number) {
  await db
    .delete(contactIdentities)
    .where(and(eq(contactIdentities.channel, TELEGRAM_CHANNEL), eq(contactIdentities.userId, userId)));
}
