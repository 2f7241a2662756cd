import { createHash, randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import type { AppContext } from "../../app-context.js";
import { accessChanged } from "../../modules/auth/auth.guard.js";
import { findContactUser } from "../../modules/contacts/contacts.repository.js";
import { linkIdentity } from "../../modules/contacts/contacts.usecases.js";
import { deleteContactBindings } from "../../modules/conversations/conversations.repository.js";
import { users } from "../../platform/db/schema/index.js";
import { AppError } from "../../platform/errors.js";
import { withTx } from "../../platform/unit-of-work.js";
import { findRequesterBot, TELEGRAM_CHANNEL } from "./telegram.accounts.js";
import {
  consumeLinkCode,
  deleteTelegramIdentities,
  findLinkedTelegram,
  insertLinkCode,
} from "./telegram.requester.repository.js";

/** How long a "Connect Telegram" link works. */
export const LINK_CODE_TTL_MS = 15 * 60 * 1000;

const hashCode = (code: string) => createHash("sha256").update(code).digest("hex");

/** A `/start` payload that can be a link code (Telegram allows A-Z, a-z, 0-9, _ and -, up to 64). */
export const isLinkCode = (payload: string) => /^[A-Za-z0-9_-]{16,64}$/.test(payload);

export const createNoLinkBotError = () =>
  new AppError("telegram.no_bot", 409, "No Telegram bot is set up for linking accounts");

/** The bot people link to, with its username (known once its receiver has started). */
async function linkBot(ctx: Pick<AppContext, "db">) {
  const row = await findRequesterBot(ctx.db);
  const username = (row?.config as { username?: string } | undefined)?.username;
  return row && username ? { id: row.id, username } : undefined;
}

/**
 * A one-time deep link that links the person's Telegram to their account: `t.me/<bot>?start=<code>`,
 * valid for 15 minutes; only the code's hash is kept, and a new link replaces an unused one.
 */
export async function createTelegramLink(ctx: Pick<AppContext, "db">, userId: number) {
  const bot = await linkBot(ctx);
  if (!bot) throw createNoLinkBotError();
  const code = randomBytes(18).toString("base64url");
  const expiresAt = new Date(Date.now() + LINK_CODE_TTL_MS);
  await insertLinkCode(ctx.db, userId, hashCode(code), expiresAt);
  return {
    url: `https://t.me/${bot.username}?start=${code}`,
    bot_username: bot.username,
    expires_at: expiresAt,
  };
}

/** Whether the person can link Telegram (a bot exists) and what is linked now. */
export async function getTelegramLinkState(ctx: Pick<AppContext, "db">, userId: number) {
  const [bot, linked] = await Promise.all([linkBot(ctx), findLinkedTelegram(ctx.db, userId)]);
  return {
    available: bot !== undefined,
    bot_username: bot?.username ?? null,
    linked: linked ? { telegram_id: linked.externalId, name: linked.displayName } : null,
  };
}

/**
 * Unlinks the person's Telegram: no more notifications there, and staff replies to requests they
 * wrote on from Telegram reach them by notification instead; their requests stay theirs.
 */
export async function unlinkTelegram(ctx: Pick<AppContext, "db" | "bus">, userId: number) {
  await withTx(ctx, async (tx, emit) => {
    await deleteTelegramIdentities(tx, userId);
    await deleteContactBindings(tx, TELEGRAM_CHANNEL, userId);
    emit(accessChanged(userId));
  });
}

export type TLinkOutcome =
  | { status: "linked" | "already_linked"; userId: number; name: string }
  | { status: "invalid" }
  | { status: "deactivated" };

/**
 * `/start <code>` from the deep link: uses the code once and links the Telegram user to the
 * account that asked for it; requests they filed on Telegram before move with them.
 */
export async function linkTelegramByCode(
  ctx: Pick<AppContext, "db" | "bus">,
  code: string,
  from: { id: number; displayName: string; language: "ru" | "en" | null },
): Promise<TLinkOutcome> {
  return withTx(ctx, async (tx, emit): Promise<TLinkOutcome> => {
    const userId = await consumeLinkCode(tx, hashCode(code));
    if (userId === undefined) return { status: "invalid" };
    const target = await findContactUser(tx, userId);
    if (!target?.isActive) return { status: "deactivated" };
    const { status } = await linkIdentity(
      tx,
      emit,
      {
        channel: TELEGRAM_CHANNEL,
        externalId: String(from.id),
        displayName: from.displayName,
        language: from.language,
      },
      userId,
    );
    const [named] = await tx.select({ name: users.name }).from(users).where(eq(users.id, userId));
    return { status, userId, name: named?.name ?? "" };
  });
}
