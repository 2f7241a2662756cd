import type { TNotice, TNotifier, TNotifierCtx } from "../../modules/notifications/notifications.notifier.js";
import { headline } from "../../modules/notifications/notifications.texts.js";
import type { TChannelAccountRow } from "../channel-accounts.repository.js";
import { findRequesterBot, openBotConfig } from "./telegram.accounts.js";
import { apiSignal, createBotApi, describeTelegramError, errorCodeOf } from "./telegram.api.js";
import { requestKeyboard } from "./telegram.requester.js";
import { findTelegramChats, insertMessageRefs } from "./telegram.requester.repository.js";
import { botTexts } from "./telegram.requester.texts.js";

/** How much of a message a Telegram notification quotes (Telegram allows 4096 in all). */
const QUOTE_MAX = 3000;

/** A notification as a Telegram message: what happened, the request, who did it, and the text. */
export function formatTelegramNotice(notice: Pick<TNotice, "event" | "language">): string {
  const { facts } = notice.event;
  const by = facts.actorName
    ? notice.language === "ru"
      ? ` (${facts.actorName})`
      : ` (by ${facts.actorName})`
    : "";
  const head = `#${facts.ticketId} ${headline(notice.language, facts)}\n${facts.ticketTitle}${by}`;
  const text = facts.text?.trim();
  if (!text) return head;
  return `${head}\n\n${text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX - 1)}…` : text}`;
}

/** The bot the notifications go out through: the requester bot (see findRequesterBot). */
async function openBot(ctx: TNotifierCtx, row: TChannelAccountRow) {
  const config = openBotConfig(ctx.config.appSecret, row.config);
  return { accountId: row.id, api: createBotApi(ctx.config, config.token) };
}

/**
 * Notifications in the private chat of people who linked Telegram (a private chat's id is the
 * user's id), through the requester bot, with "Reply" and "Open in browser" under them; a
 * Telegram reply to one adds to the request. Someone who blocked the bot is skipped, not retried.
 */
export const telegramNotifier: TNotifier = {
  channel: "telegram",
  open(ctx) {
    let bot: ReturnType<typeof openBot> | undefined | null = null;
    const getBot = async () => {
      if (bot === null) {
        const row = await findRequesterBot(ctx.db);
        bot = row ? openBot(ctx, row) : undefined;
      }
      return bot;
    };
    return {
      async send(notice) {
        const b = await getBot();
        if (!b) return { skipped: "no Telegram bot is running" };
        const { accountId, api } = await b;
        const chatId = (await findTelegramChats(ctx.db, [notice.recipient.id])).get(notice.recipient.id);
        if (chatId === undefined) return { skipped: "no linked Telegram" };
        const ticketId = notice.event.ticket.id;
        try {
          const sent = await api.sendMessage(
            chatId,
            formatTelegramNotice(notice),
            { reply_markup: requestKeyboard(ctx, botTexts(notice.language), ticketId) },
            apiSignal(AbortSignal.timeout(30_000)),
          );
          await insertMessageRefs(ctx.db, [{ accountId, chatId, messageId: sent.message_id, ticketId }]);
          return "sent";
        } catch (error) {
          // 403: the person blocked the bot or never started it; no retry changes that.
          if (errorCodeOf(error) === 403) return { skipped: describeTelegramError(error) };
          throw new Error(describeTelegramError(error));
        }
      },
      finish: async () => {},
    };
  },
};
