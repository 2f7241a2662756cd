import type {
  TChannelAccountAction,
  TTelegramAccountCreate,
  TTelegramAccountUpdate,
  ZTelegramBotCreate,
  ZTelegramPersonalCreate,
} from "@helpdesk/contracts";
import type { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { encryptSecret } from "../../platform/crypto.js";
import type { TChannelAccountRow } from "../channel-accounts.repository.js";
import { openAccountConfig } from "../channel-secrets.js";
import { switchChannelAccount } from "../channels.usecases.js";
import { apiSignal, createBotApi, describeTelegramError } from "../telegram-bot/telegram.api.js";
import { TELEGRAM_USER_CHANNEL, ZTelegramUserConfig } from "../telegram-user/telegram-user.accounts.js";
import { telegramUserDriverOf } from "../telegram-user/telegram-user.driver.js";
import {
  createBotExistsError,
  createEnvAccountError,
  createNotAPersonalAccountError,
  createNotATelegramAccountError,
  createPersonalExistsError,
  createTokenRefusedError,
  createUnknownQueueError,
} from "./accounts.errors.js";
import { presentTelegramAccount } from "./accounts.presenter.js";
import {
  deleteTelegramAccount,
  findBotAccountByBotId,
  findPersonalAccountByPhone,
  findTelegramAccount,
  findTelegramAccounts,
  insertTelegramAccount,
  updateTelegramAccount,
} from "./accounts.repository.js";

type TCtx = Pick<AppContext, "db" | "config" | "catalog" | "channels">;

/** An account as the API shows it, with the log-in in progress in this process if any. */
function present(ctx: Pick<AppContext, "channels">, row: TChannelAccountRow) {
  return presentTelegramAccount(row, telegramUserDriverOf(ctx)?.logins.view(row.id) ?? null);
}

export async function listTelegramAccounts(ctx: Pick<AppContext, "db" | "channels">) {
  return { results: (await findTelegramAccounts(ctx.db)).map((row) => present(ctx, row)) };
}

async function getRow(ctx: Pick<AppContext, "db">, id: number) {
  const row = await findTelegramAccount(ctx.db, id);
  if (!row) throw createNotATelegramAccountError();
  return row;
}

export async function getTelegramAccount(ctx: Pick<AppContext, "db" | "channels">, id: number) {
  return present(ctx, await getRow(ctx, id));
}

async function assertQueue(ctx: TCtx, queueId: number | null | undefined) {
  if (queueId === null || queueId === undefined) return;
  const queue = (await ctx.catalog.get()).queues.get(queueId);
  if (!queue?.isActive) throw createUnknownQueueError();
}

/** Asks Telegram who the token's bot is (getMe); a refused token is a 422 with Telegram's reason. */
async function identifyBot(ctx: TCtx, token: string) {
  try {
    const me = await createBotApi(ctx.config, token).getMe(apiSignal(AbortSignal.timeout(15_000)));
    return { id: me.id, username: me.username };
  } catch (error) {
    throw createTokenRefusedError(describeTelegramError(error));
  }
}

type TBotCreate = z.output<typeof ZTelegramBotCreate>;

/**
 * Adds a bot: the token is checked with getMe (the answer's username is kept and shown), sealed
 * with APP_SECRET, and the runtime starts its receiver within a tick. One account per bot.
 */
async function createBot(ctx: TCtx, input: TBotCreate) {
  await assertQueue(ctx, input.queue_id);
  const bot = await identifyBot(ctx, input.bot_token);
  const existing = await findBotAccountByBotId(ctx.db, bot.id);
  if (existing) throw createBotExistsError(existing.id);
  const row = await insertTelegramAccount(ctx.db, {
    kind: "telegram",
    name: input.name,
    queueId: input.queue_id ?? null,
    config: {
      source: "admin",
      mode: input.mode,
      token: encryptSecret(ctx.config.appSecret, input.bot_token),
      username: bot.username,
      bot_id: bot.id,
      ...(input.webhook_url ? { forwarded: true } : {}),
    },
  });
  return present(ctx, row);
}

export async function createTelegramAccount(ctx: TCtx, input: TTelegramAccountCreate) {
  if (input.account_type === "bot") return createBot(ctx, input as TBotCreate);
  return createPersonal(ctx, input as TPersonalCreate);
}

type TPersonalCreate = z.output<typeof ZTelegramPersonalCreate>;
const phoneDigits = (phone: string) => phone.replace(/\D/g, "");

/**
 * Adds a personal account, not logged in yet (state `created`): the admin then logs it in with
 * authenticate → verify_otp (→ verify_password). `api_hash` is sealed; one account per phone.
 */
async function createPersonal(ctx: TCtx, input: TPersonalCreate) {
  await assertQueue(ctx, input.queue_id);
  const phone = `+${phoneDigits(input.phone_number)}`;
  const existing = await findPersonalAccountByPhone(ctx.db, phone);
  if (existing) throw createPersonalExistsError(existing.id);
  const row = await insertTelegramAccount(ctx.db, {
    kind: TELEGRAM_USER_CHANNEL,
    name: input.name,
    queueId: input.queue_id ?? null,
    config: {
      source: "admin",
      phone_number: phone,
      api_id: input.api_id,
      api_hash: encryptSecret(ctx.config.appSecret, input.api_hash),
      auth_state: "created",
      me: null,
    },
  });
  return present(ctx, row);
}

/** A personal account's row, its config opened, and the driver that logs it in. */
async function personal(ctx: TCtx, id: number) {
  const row = await getRow(ctx, id);
  const driver = telegramUserDriverOf(ctx);
  if (row.kind !== TELEGRAM_USER_CHANNEL || !driver) throw createNotAPersonalAccountError();
  const config = ZTelegramUserConfig.parse(openAccountConfig(driver, ctx.config.appSecret, row.config));
  return { row, driver, config };
}

/** The account after a log-in step, read again (its state and the log-in in progress). */
const reread = async (ctx: TCtx, id: number) => present(ctx, await getRow(ctx, id));

/** Log-in step 1: Telegram sends a code to the account's phone (or its Telegram apps). */
export async function authenticateTelegramAccount(ctx: TCtx, id: number) {
  const { driver, config } = await personal(ctx, id);
  await driver.logins.start(ctx, id, config);
  return reread(ctx, id);
}

/** "Send the code again": Telegram's next way (SMS, a call), once its wait is over. */
export async function resendTelegramCode(ctx: TCtx, id: number) {
  const { driver } = await personal(ctx, id);
  await driver.logins.resend(id);
  return reread(ctx, id);
}

/** Log-in step 2: the code. Done, or the two-step verification password comes next. */
export async function verifyTelegramCode(ctx: TCtx, id: number, code: string) {
  const { driver } = await personal(ctx, id);
  await driver.logins.verifyCode(ctx, id, code);
  return reread(ctx, id);
}

/** Log-in step 3 for accounts with two-step verification: the password (never stored). */
export async function verifyTelegramPassword(ctx: TCtx, id: number, password: string) {
  const { driver } = await personal(ctx, id);
  await driver.logins.verifyPassword(ctx, id, password);
  return reread(ctx, id);
}

/**
 * Changes an account. TELEGRAM_BOT_TOKEN's bot keeps its token and mode (the environment's); a
 * new token is checked with getMe and may not be another account's bot.
 */
export async function changeTelegramAccount(ctx: TCtx, id: number, patch: TTelegramAccountUpdate) {
  const row = await getRow(ctx, id);
  // An empty PATCH writes nothing (and restarts nothing).
  if (Object.values(patch).every((v) => v === undefined)) return present(ctx, row);
  const config = { ...(row.config as Record<string, unknown>) };
  const fromEnv = config.source === "env";
  if (fromEnv && (patch.bot_token !== undefined || patch.mode !== undefined)) throw createEnvAccountError();
  await assertQueue(ctx, patch.queue_id);
  let configChanged = false;
  if (row.kind === "telegram" && patch.bot_token !== undefined) {
    const bot = await identifyBot(ctx, patch.bot_token);
    const other = await findBotAccountByBotId(ctx.db, bot.id);
    if (other && other.id !== row.id) throw createBotExistsError(other.id);
    Object.assign(config, {
      token: encryptSecret(ctx.config.appSecret, patch.bot_token),
      username: bot.username,
      bot_id: bot.id,
    });
    configChanged = true;
  }
  if (row.kind === "telegram" && patch.mode !== undefined && patch.mode !== config.mode) {
    config.mode = patch.mode;
    configChanged = true;
  }
  const updated = await updateTelegramAccount(ctx.db, row.id, {
    name: patch.name,
    queueId: patch.queue_id,
    config: configChanged ? config : undefined,
  });
  if (!updated) throw createNotATelegramAccountError();
  return present(ctx, updated);
}

/** Removes an account (not TELEGRAM_BOT_TOKEN's: it would come back at the next start). */
export async function removeTelegramAccount(ctx: Pick<AppContext, "db" | "channels">, id: number) {
  const row = await getRow(ctx, id);
  if ((row.config as { source?: string }).source === "env") throw createEnvAccountError();
  await telegramUserDriverOf(ctx)?.logins.drop(row.id);
  await deleteTelegramAccount(ctx.db, row.id);
}

/** Starts or stops an account's receiver (the runtime follows within a tick). */
export async function switchTelegramAccount(
  ctx: Pick<AppContext, "db">,
  id: number,
  action: TChannelAccountAction,
) {
  await getRow(ctx, id);
  await switchChannelAccount(ctx.db, id, action);
  return presentTelegramAccount(await getRow(ctx, id));
}
