import type { AppContext } from "../../app-context.js";
import { type ChannelDriver, defineChannelDriver, type TOutboundReply } from "../channel-driver.js";
import { openAccountConfig } from "../channel-secrets.js";
import { findBotAccountById, TELEGRAM_CHANNEL, ZTelegramAccountConfig } from "./telegram.accounts.js";
import { apiSignal, createBotApi, describeTelegramError, splitMessageText } from "./telegram.api.js";
import { ensureEnvBot, receiveBotUpdates, testBot } from "./telegram.receiver.js";
import { requestKeyboard } from "./telegram.requester.js";
import { insertMessageRefs } from "./telegram.requester.repository.js";
import { botTexts } from "./telegram.requester.texts.js";
import { registerTelegramLinkRoutes } from "./telegram.routes.js";
import { registerTelegramWebhookRoutes } from "./telegram.webhook.js";

/** A staff reply as the customer reads it in the chat: who answered, then the text. */
export const formatReplyText = (reply: Pick<TOutboundReply, "message">) =>
  `${reply.message.authorName}:\n${reply.message.text}`;

/**
 * A Telegram bot as an inbox channel: each bot is a channel account (TELEGRAM_BOT_TOKEN's, or
 * one the admin adds), read by long polling under the runtime's lease; a private message
 * becomes a request of a contact known by their Telegram id, and staff replies go back to the
 * chat with sendMessage.
 */
export function createTelegramBotDriver(): ChannelDriver {
  const driver: ChannelDriver = defineChannelDriver({
    name: TELEGRAM_CHANNEL,
    accountConfig: ZTelegramAccountConfig,
    // Inbox bots' conversations are chats of the inbox (the requester bot's messages say otherwise).
    chat: true,
    secretFields: ["token", "webhook_secret"],
    ensureEnvAccount: (ctx) => ensureEnvBot(ctx, driver),
    receive: receiveBotUpdates,
    testConnection: (ctx, account) => testBot(ctx, account.config.token),
    sendReply: (ctx, reply) => sendBotReply(ctx, driver, reply),
    routes: async (app, ctx) => {
      await registerTelegramLinkRoutes(app, ctx);
      await registerTelegramWebhookRoutes(app, ctx);
    },
  });
  return driver;
}

/**
 * Sends a staff reply to the chat of the binding, through the bot the customer wrote to; a text
 * over Telegram's 4096 characters goes as several messages. Throws (the delivery is retried and
 * shows why) when the bot is gone or stopped or Telegram refuses, naming Telegram's wait on a 429.
 */
async function sendBotReply(
  ctx: AppContext,
  driver: ChannelDriver,
  reply: TOutboundReply,
): Promise<{ externalId?: string }> {
  if (reply.binding.accountId === null) throw new Error("the conversation has no Telegram bot account");
  const row = await findBotAccountById(ctx.db, reply.binding.accountId);
  if (!row) throw new Error("the Telegram bot of this conversation was removed");
  if (!row.isEnabled) throw new Error(`the Telegram bot "${row.name}" is stopped`);
  const config = ZTelegramAccountConfig.parse(openAccountConfig(driver, ctx.config.appSecret, row.config));
  const chatId = Number(reply.binding.externalThreadId);
  if (!Number.isSafeInteger(chatId))
    throw new Error(`not a Telegram chat id: ${reply.binding.externalThreadId}`);
  const api = createBotApi(ctx.config, config.token);
  const ids: string[] = [];
  // The requester bot says which request it is and offers Reply / Open under it; a Telegram
  // reply to any part adds to that request.
  const isRequester = config.mode === "requester";
  const text = isRequester
    ? `#${reply.ticket.id} ${reply.ticket.title}\n\n${formatReplyText(reply)}`
    : formatReplyText(reply);
  const parts = splitMessageText(text);
  for (const [i, part] of parts.entries()) {
    const keyboard =
      isRequester && i === parts.length - 1
        ? { reply_markup: requestKeyboard(ctx, botTexts(reply.contact.language), reply.ticket.id) }
        : {};
    try {
      const sent = await api.sendMessage(chatId, part, keyboard, apiSignal(AbortSignal.timeout(30_000)));
      ids.push(String(sent.message_id));
      if (isRequester)
        await insertMessageRefs(ctx.db, [
          { accountId: row.id, chatId, messageId: sent.message_id, ticketId: reply.ticket.id },
        ]);
    } catch (error) {
      const sentBefore = ids.length > 0 ? ` (after ${ids.length} part(s) were sent)` : "";
      throw new Error(`${describeTelegramError(error)}${sentBefore}`);
    }
  }
  return { externalId: ids.join(",") };
}
