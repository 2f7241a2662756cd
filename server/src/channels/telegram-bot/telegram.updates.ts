import type { Api } from "grammy";
import type { Update } from "grammy/types";
import type { AppContext } from "../../app-context.js";
import { ingestInbound, recordInbound } from "../../modules/conversations/conversations.inbound.js";
import { findInboundItem } from "../../modules/conversations/conversations.repository.js";
import { isDatabaseUnavailableError } from "../../platform/db-availability-errors.js";
import type { TChannelAccount } from "../channel-driver.js";
import type { TTelegramAccountConfig } from "./telegram.accounts.js";
import { describeTelegramError } from "./telegram.api.js";
import {
  inboundKeysOf,
  pickPrivateMessage,
  type TBotIdentity,
  toInboundMessage,
} from "./telegram.inbound.js";
import { handleRequesterUpdate } from "./telegram.requester.js";

/** Tries of one update before it is given up (recorded as rejected) and the bot goes on. */
export const MAX_UPDATE_TRIES = 3;

/** The update types a bot asks Telegram for (long polling and setWebhook alike). */
export const ALLOWED_UPDATES = ["message", "edited_message", "callback_query"] as const;

/** One bot at work, however its updates arrive (long polling or the webhook). */
export type TBotSession = {
  ctx: AppContext;
  account: TChannelAccount<TTelegramAccountConfig>;
  bot: TBotIdentity;
  api: Api;
  token: string;
  /** Aborts when the bot must stop (the receiver's signal, or a timeout for one webhook update). */
  signal: AbortSignal;
};

/**
 * Handles one update of a bot, whichever way it arrived. `attempt` counts from 1: a failure
 * that may pass (network, storage) throws, to be tried again, until the last try, when it is
 * recorded as rejected and the bot goes on; a database outage always throws.
 */
export async function processBotUpdate(session: TBotSession, update: Update, attempt: number): Promise<void> {
  const { ctx, account, bot, signal } = session;
  if (account.config.mode === "requester") return handleRequester(session, update, attempt);
  const message = pickPrivateMessage(update);
  if (!message) return;
  const isLastTry = attempt >= MAX_UPDATE_TRIES;
  const keys = inboundKeysOf(bot, update, message);
  try {
    // A message taken in already (a repeat after a crash) is not downloaded again to be dropped.
    if (await findInboundItem(ctx.db, { ...keys, accountId: account.id })) return;
    await ingestInbound(
      ctx,
      await toInboundMessage({ ...session, config: ctx.config }, account, bot, update, message, isLastTry),
    );
  } catch (error) {
    if (signal.aborted || isDatabaseUnavailableError(error) || !isLastTry) throw error;
    // Storage trouble or a bug, three times: recorded, and the bot goes on with the next one.
    ctx.logger.error(
      { accountId: account.id, updateId: update.update_id, err: error },
      "Telegram update failed",
    );
    await recordInbound(ctx, {
      ...keys,
      accountId: account.id,
      status: "rejected",
      reason: `failed ${MAX_UPDATE_TRIES} times: ${describeTelegramError(error)}`,
      sender: message.from ? String(message.from.id) : null,
    });
  }
}

/**
 * The requester bot's turn. Requests and messages it writes are exactly once (ingestInbound's
 * keys); what it says is not, so a retried update may repeat an answer. A failure that may pass
 * is retried; at the last try it is logged and the bot goes on with the next update.
 */
async function handleRequester(session: TBotSession, update: Update, attempt: number) {
  try {
    await handleRequesterUpdate(session, update);
  } catch (error) {
    if (session.signal.aborted || isDatabaseUnavailableError(error) || attempt < MAX_UPDATE_TRIES)
      throw error;
    session.ctx.logger.error(
      { accountId: session.account.id, updateId: update.update_id, err: describeTelegramError(error) },
      "Telegram requester bot: update failed; skipped",
    );
  }
}
