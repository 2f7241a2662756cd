import type { Update } from "grammy/types";
import type { AppContext } from "../../app-context.js";
import { encryptSecret } from "../../platform/crypto.js";
import { isDatabaseUnavailableError } from "../../platform/db-availability-errors.js";
import type { ChannelDriver, TChannelAccount, TReceiverControl } from "../channel-driver.js";
import { openAccountConfig } from "../channel-secrets.js";
import {
  findEnvBotAccount,
  insertBotAccount,
  recordBotIdentity,
  type TTelegramAccountConfig,
  updateBotAccountConfig,
  ZTelegramAccountConfig,
  ZTelegramCursor,
} from "./telegram.accounts.js";
import { apiSignal, createBotApi, describeTelegramError, errorCodeOf, retryAfterOf } from "./telegram.api.js";
import type { TBotIdentity } from "./telegram.inbound.js";
import { ALLOWED_UPDATES, processBotUpdate } from "./telegram.updates.js";

const BACKOFF_INITIAL_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
/** Another poller holds the bot: wait at least this long, it may be a lease handover. */
const CONFLICT_WAIT_MS = 5000;

/** Waits, or less when the signal aborts. */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });

/** Bot API answers that no retry fixes: the token is wrong or revoked. The runtime backs off. */
const isFatal = (error: unknown) => {
  const code = errorCodeOf(error);
  return code === 401 || code === 404;
};

/**
 * Reads one bot for as long as the runtime holds its lease: drops any webhook (Telegram serves
 * a bot either by webhook or by polling), asks getMe who it is, then long-polls getUpdates from
 * the saved offset. Each batch is ingested update by update and the next offset saved after
 * it, so a crash or a handover repeats at most one batch (and `ingestInbound`'s keys make the
 * repeat a no-op). Network and Bot API trouble is shown as the account's last error and retried
 * with backoff (1 s doubling to 30 s; a 409 "another poller" waits at least 5 s, a 429 as long
 * as Telegram says); a database outage throws, and the runtime restarts the receiver.
 */
export async function receiveBotUpdates(
  ctx: AppContext,
  account: TChannelAccount<TTelegramAccountConfig>,
  control: TReceiverControl,
): Promise<void> {
  const { signal } = control;
  const token = account.config.token;
  const api = createBotApi(ctx.config, token);
  let cursor = ZTelegramCursor.parse(account.cursor);
  let bot: TBotIdentity | undefined;
  let backoff = BACKOFF_INITIAL_MS;
  let hasError = false;
  const tries = new Map<number, number>();

  const handle = async (update: Update) => {
    if (!bot) return;
    const n = (tries.get(update.update_id) ?? 0) + 1;
    tries.set(update.update_id, n);
    await processBotUpdate({ ctx, account, bot, api, token, signal }, update, n);
    tries.delete(update.update_id);
  };

  while (!signal.aborted) {
    try {
      if (!bot) {
        await api.deleteWebhook({ drop_pending_updates: false }, apiSignal(signal));
        const me = await api.getMe(apiSignal(signal));
        bot = { id: me.id, username: me.username };
        if (account.config.bot_id !== me.id || account.config.username !== me.username) {
          await recordBotIdentity(ctx.db, account.id, bot);
        }
        // Another bot's offset means nothing here.
        if (cursor.bot_id !== bot.id) cursor = { offset: 0, bot_id: bot.id };
      }
      const updates = await api.getUpdates(
        {
          offset: cursor.offset,
          timeout: ctx.config.telegramPollTimeoutS,
          allowed_updates: [...ALLOWED_UPDATES],
        },
        apiSignal(signal),
      );
      control.touch();
      if (hasError) {
        await control.reportError(null);
        hasError = false;
      }
      backoff = BACKOFF_INITIAL_MS;
      let next = cursor.offset;
      try {
        for (const update of updates) {
          if (signal.aborted) break;
          await handle(update);
          next = Math.max(next, update.update_id + 1);
        }
      } finally {
        // What was done is kept even when an update in the middle failed or the receiver is
        // stopping (only the lease holder can write it: after a lost lease this does nothing).
        if (next !== cursor.offset) {
          const saved = { offset: next, bot_id: bot.id };
          await control.saveCursor(saved).then(
            () => {
              cursor = saved;
            },
            (error: unknown) => {
              // Not saved (the database is down): the batch comes again, harmlessly.
              ctx.logger.warn({ accountId: account.id, err: error }, "Telegram offset not saved");
            },
          );
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      if (isDatabaseUnavailableError(error)) throw error;
      // The runtime restarts it with its own longer backoff and shows this as the last error.
      if (isFatal(error)) throw new Error(describeTelegramError(error));
      const message = describeTelegramError(error);
      const code = errorCodeOf(error);
      const retryAfterMs = (retryAfterOf(error) ?? 0) * 1000;
      const wait = Math.max(backoff, retryAfterMs, code === 409 ? CONFLICT_WAIT_MS : 0);
      ctx.logger.warn(
        { accountId: account.id, err: message, retryInMs: wait },
        "Telegram bot: polling failed; retrying",
      );
      hasError = true;
      await control.reportError(message).catch(() => {});
      await sleep(wait, signal);
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    }
  }
}

/**
 * Mirrors TELEGRAM_BOT_TOKEN into the one `source = 'env'` bot account (the default queue).
 * A new token or TELEGRAM_BOT_MODE replaces the old config and restarts the receiver; the same changes nothing.
 */
export async function ensureEnvBot(ctx: Pick<AppContext, "db" | "config">, driver: ChannelDriver) {
  const token = ctx.config.telegramBotToken;
  if (!token) return;
  const config: TTelegramAccountConfig = {
    source: "env",
    mode: ctx.config.telegramBotMode,
    token: encryptSecret(ctx.config.appSecret, token),
    username: "",
    bot_id: null,
  };
  const name = `Telegram bot ${token.split(":")[0]} (TELEGRAM_BOT_TOKEN)`;
  const existing = await findEnvBotAccount(ctx.db);
  if (!existing) {
    // Two processes starting at once make one: the second insert finds the unique key taken.
    await insertBotAccount(ctx.db, { name, config, queueId: null });
    return;
  }
  let current: TTelegramAccountConfig | null = null;
  try {
    current = ZTelegramAccountConfig.parse(openAccountConfig(driver, ctx.config.appSecret, existing.config));
  } catch {
    // Sealed with another APP_SECRET: replace it.
  }
  if (current?.token !== token || current.mode !== config.mode)
    await updateBotAccountConfig(ctx.db, existing.id, { name, config });
}

/** The admin's "test connection": getMe. */
export async function testBot(ctx: Pick<AppContext, "config">, token: string) {
  try {
    await createBotApi(ctx.config, token).getMe(apiSignal(AbortSignal.timeout(15_000)));
    return { ok: true as const };
  } catch (error) {
    return { ok: false as const, error: describeTelegramError(error) };
  }
}
