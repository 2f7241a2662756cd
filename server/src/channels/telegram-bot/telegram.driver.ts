import type { AppContext } from "../../app-context.js";
import { type ChannelDriver, defineChannelDriver, type TOutboundReply } from "../channel-driver.js";
import { openAccountConfig } from "../channel-secrets.js";
import { findBotAccountById, TELEGRAM_CHANNEL, ZTelegramAccountConfig } from "./telegram.accounts.js";
import { apiSignal, createBotApi, describeTelegramError, splitMessageText } from "./telegram.api.js";
import { ensureEnvBot, receiveBotUpdates, testBot } from "./telegram.receiver.js";

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
    secretFields: ["token"],
    ensureEnvAccount: (ctx) => ensureEnvBot(ctx, driver),
    receive: receiveBotUpdates,
    testConnection: (ctx, account) => testBot(ctx, account.config.token),
    sendReply: (ctx, reply) => sendBotReply(ctx, driver, reply),
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
  for (const part of splitMessageText(formatReplyText(reply))) {
    try {
      const sent = await api.sendMessage(chatId, part, {}, apiSignal(AbortSignal.timeout(30_000)));
      ids.push(String(sent.message_id));
    } catch (error) {
      const sentBefore = ids.length > 0 ? ` (after ${ids.length} part(s) were sent)` : "";
      throw new Error(`${describeTelegramError(error)}${sentBefore}`);
    }
  }
  return { externalId: ids.join(",") };
}
