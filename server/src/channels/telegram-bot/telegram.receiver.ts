import { randomBytes } from "node:crypto";
import type { Api } from "grammy";
import type { Update } from "grammy/types";
import type { AppContext } from "../../app-context.js";
import { sleep, untilAborted } from "../../platform/abort.js";
import { decryptSecret, encryptSecret } from "../../platform/crypto.js";
import { isDatabaseUnavailableError } from "../../platform/db-availability-errors.js";
import type { ChannelDriver, TChannelAccount, TReceiverControl } from "../channel-driver.js";
import { openAccountConfig } from "../channel-secrets.js";
import {
  findBotAccountById,
  findEnvBotAccount,
  insertBotAccount,
  recordBotIdentity,
  recordWebhookSecret,
  type TTelegramAccountConfig,
  updateBotAccountConfig,
  ZTelegramAccountConfig,
  ZTelegramCursor,
} from "./telegram.accounts.js";
import { apiSignal, createBotApi, describeTelegramError, errorCodeOf, retryAfterOf } from "./telegram.api.js";
import type { TBotIdentity } from "./telegram.inbound.js";
import { announceCommands } from "./telegram.requester.js";
import { processStoredUpdates } from "./telegram.update-queue.js";
import { ALLOWED_UPDATES, processBotUpdate, type TBotSession } from "./telegram.updates.js";
import { announceCredentialsChanged, webhookUrlOf } from "./telegram.webhook.js";

const BACKOFF_INITIAL_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
/** Another poller holds the bot: wait at least this long, it may be a lease handover. */
const CONFLICT_WAIT_MS = 5000;

/** Bot API answers that no retry fixes: the token is wrong or revoked. The runtime backs off. */
const isFatal = (error: unknown) => {
  const code = errorCodeOf(error);
  return code === 401 || code === 404;
};

/** Telegram allows 1–256 characters of A-Z a-z 0-9 _ - in a webhook's `secret_token`. */
const newWebhookSecret = () => randomBytes(32).toString("base64url");

/**
 * How a receiver takes Bot API trouble: shown as the account's last error and waited out with
 * backoff (1 s doubling to 30 s; a 409 "another poller" at least 5 s, a 429 as long as Telegram
 * says), cleared once a call works again. A refused token or a database outage throws instead.
 */
function createTroubleHandler(
  ctx: AppContext,
  account: TChannelAccount<TTelegramAccountConfig>,
  control: TReceiverControl,
) {
  let backoff = BACKOFF_INITIAL_MS;
  let hasError = false;
  return {
    async handle(error: unknown, what: string, signal: AbortSignal) {
      if (isDatabaseUnavailableError(error)) throw error;
      // The runtime restarts it with its own longer backoff and shows this as the last error.
      if (isFatal(error)) throw new Error(describeTelegramError(error));
      const message = describeTelegramError(error);
      const code = errorCodeOf(error);
      const retryAfterMs = (retryAfterOf(error) ?? 0) * 1000;
      const wait = Math.max(backoff, retryAfterMs, code === 409 ? CONFLICT_WAIT_MS : 0);
      ctx.logger.warn(
        { accountId: account.id, err: message, retryInMs: wait },
        `Telegram bot: ${what} failed; retrying`,
      );
      hasError = true;
      await control.reportError(message).catch(() => {});
      await sleep(wait, signal);
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    },
    async clear() {
      backoff = BACKOFF_INITIAL_MS;
      if (!hasError) return;
      await control.reportError(null);
      hasError = false;
    },
  };
}
type TTroubleHandler = ReturnType<typeof createTroubleHandler>;

/**
 * Reads one bot for as long as the runtime holds its lease. With an https PUBLIC_URL it is in
 * webhook mode: it asks getMe who it is, points the bot's webhook at our route (with a secret
 * kept in the config) and never polls; Telegram pushes, the route stores, and this receiver
 * works the stored updates off. Otherwise it drops any webhook (Telegram serves a bot either by
 * webhook or by polling), asks getMe, and long-polls getUpdates from the saved offset. In both
 * modes it also works off stored updates (those the seed endpoint took in, or left from webhook
 * mode). A `forwarded` bot's updates come only through the seed endpoint: its receiver leaves
 * Telegram's delivery to the program that forwards them. Bot API trouble is retried (see
 * createTroubleHandler); a refused token or a database outage throws, and the runtime restarts
 * the receiver.
 */
export async function receiveBotUpdates(
  ctx: AppContext,
  account: TChannelAccount<TTelegramAccountConfig>,
  control: TReceiverControl,
): Promise<void> {
  const token = account.config.token;
  const api = createBotApi(ctx.config, token);
  const webhookUrl = account.config.forwarded ? undefined : webhookUrlOf(ctx.config, account.id);
  const delivery = account.config.forwarded ? "forwarded" : webhookUrl ? "webhook" : "polling";
  // Stops the other half when one half fails (the polling or the stored updates).
  const failed = new AbortController();
  const signal = AbortSignal.any([control.signal, failed.signal]);
  const trouble = createTroubleHandler(ctx, account, control);
  const bot = await identifyBot({ ctx, account, api, signal, trouble, isPolling: delivery === "polling" });
  if (!bot) return;
  const session: TBotSession = { ctx, account, bot, api, token, signal };
  const halves = [
    processStoredUpdates(session, () => control.touch()),
    webhookUrl
      ? keepWebhook(session, webhookUrl, trouble)
      : delivery === "polling"
        ? pollUpdates(session, control, trouble)
        : trouble.clear().then(() => untilAborted(signal)),
  ].map((half) =>
    half.catch((error: unknown) => {
      failed.abort();
      throw error;
    }),
  );
  const results = await Promise.allSettled(halves);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failure && !control.signal.aborted) throw failure.reason;
}

/**
 * Who the bot is (getMe), recorded in its config when it changed; before that, a polling
 * receiver drops any webhook. Retried until it works; undefined when the receiver stops first.
 */
async function identifyBot(a: {
  ctx: AppContext;
  account: TChannelAccount<TTelegramAccountConfig>;
  api: Api;
  signal: AbortSignal;
  trouble: TTroubleHandler;
  isPolling: boolean;
}): Promise<TBotIdentity | undefined> {
  const { ctx, account, api, signal, trouble } = a;
  while (!signal.aborted) {
    try {
      if (a.isPolling) await api.deleteWebhook({ drop_pending_updates: false }, apiSignal(signal));
      const me = await api.getMe(apiSignal(signal));
      const bot = { id: me.id, username: me.username };
      if (account.config.bot_id !== me.id || account.config.username !== me.username) {
        await recordBotIdentity(ctx.db, account.id, bot);
      }
      if (account.config.mode === "requester") await announceCommands(ctx, account.id, api, signal);
      return bot;
    } catch (error) {
      if (signal.aborted) return undefined;
      await trouble.handle(error, a.isPolling ? "polling" : "getMe", signal);
    }
  }
  return undefined;
}

/**
 * The bot's webhook secret: the one in its config, else a new one stored there (sealed). When
 * another holder of the lease stored one first, that one is used: both then give Telegram the same.
 */
async function webhookSecretOf(ctx: AppContext, account: TChannelAccount<TTelegramAccountConfig>) {
  if (account.config.webhook_secret) return account.config.webhook_secret;
  const secret = newWebhookSecret();
  if (await recordWebhookSecret(ctx.db, account.id, encryptSecret(ctx.config.appSecret, secret))) {
    announceCredentialsChanged(ctx);
    return secret;
  }
  const row = await findBotAccountById(ctx.db, account.id);
  const stored = (row?.config as { webhook_secret?: unknown } | undefined)?.webhook_secret;
  if (typeof stored !== "string") throw new Error("the bot account was removed");
  return decryptSecret(ctx.config.appSecret, stored);
}

/**
 * Webhook mode: points the bot's webhook at our route with its secret and the update types we
 * handle (Telegram sends updates that were waiting), then holds until the receiver stops. The
 * webhook stays set when it stops: a handover or restart loses nothing, and updates of a stopped
 * bot are stored and processed once it is started again.
 */
async function keepWebhook(session: TBotSession, url: string, trouble: TTroubleHandler) {
  const { ctx, account, api, signal } = session;
  while (!signal.aborted) {
    try {
      const secret = await webhookSecretOf(ctx, account);
      await api.setWebhook(
        url,
        { secret_token: secret, allowed_updates: [...ALLOWED_UPDATES], drop_pending_updates: false },
        apiSignal(signal),
      );
      await trouble.clear();
      ctx.logger.info({ accountId: account.id, url }, "Telegram bot: webhook set");
      await untilAborted(signal);
    } catch (error) {
      if (signal.aborted) return;
      await trouble.handle(error, "setWebhook", signal);
    }
  }
}

/**
 * Polling mode: long-polls getUpdates from the saved offset. Each batch is processed update by
 * update and the next offset saved after it, so a crash or a handover repeats at most one batch
 * (and processBotUpdate makes the repeat a no-op). A database outage throws; the offset of the
 * unfinished batch is then not saved, and Telegram sends it again.
 */
async function pollUpdates(session: TBotSession, control: TReceiverControl, trouble: TTroubleHandler) {
  const { ctx, account, api, bot, signal } = session;
  let cursor = ZTelegramCursor.parse(account.cursor);
  // Another bot's offset means nothing here.
  if (cursor.bot_id !== bot.id) cursor = { offset: 0, bot_id: bot.id };
  const tries = new Map<number, number>();

  const handle = async (update: Update) => {
    const n = (tries.get(update.update_id) ?? 0) + 1;
    tries.set(update.update_id, n);
    await processBotUpdate(session, update, n);
    tries.delete(update.update_id);
  };

  while (!signal.aborted) {
    try {
      const updates = await api.getUpdates(
        {
          offset: cursor.offset,
          timeout: ctx.config.telegramPollTimeoutS,
          allowed_updates: [...ALLOWED_UPDATES],
        },
        apiSignal(signal),
      );
      control.touch();
      await trouble.clear();
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
      await trouble.handle(error, "polling", signal);
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
