import { AppError } from "../../platform/errors.js";

export const createTokenRefusedError = (reason: string) =>
  new AppError("telegram.token_refused", 422, "Telegram refused the bot token", { reason });
export const createBotExistsError = (accountId: number) =>
  new AppError("telegram.bot_exists", 409, "This bot is already an account", { account_id: accountId });
export const createEnvAccountError = () =>
  new AppError(
    "telegram.env_account",
    409,
    "This bot comes from TELEGRAM_BOT_TOKEN: only its name, queue and enabled state can be changed here",
  );
export const createUnknownQueueError = () =>
  new AppError("telegram.unknown_queue", 422, "No such active queue");
export const createNotATelegramAccountError = () =>
  new AppError("telegram.account_not_found", 404, "Telegram account not found");
export const createPersonalExistsError = (accountId: number) =>
  new AppError("telegram.account_exists", 409, "This phone number is already an account", {
    account_id: accountId,
  });
export const createNotAPersonalAccountError = () =>
  new AppError("telegram.not_personal", 409, "Only personal accounts log in with a code");
