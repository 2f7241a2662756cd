import { AppError } from "../../platform/errors.js";

/** A webhook request without its proof: no secret header (our webhook) or no bot token (the seed one). */
export const createWebhookUnauthorizedError = (what: "secret" | "token") =>
  new AppError(
    "telegram.webhook_unauthorized",
    401,
    what === "secret" ? "The webhook secret token is missing" : "The bot token is missing",
  );

/** The proof does not match any bot (the same answer for an unknown bot and a wrong secret). */
export const createWebhookForbiddenError = (what: "secret" | "token") =>
  new AppError(
    "telegram.webhook_forbidden",
    403,
    what === "secret" ? "The webhook secret token is wrong" : "The bot token is not one of ours",
  );

/** The body is not a Telegram update: a JSON object with an integer `update_id`. */
export const createBadUpdateError = () =>
  new AppError(
    "telegram.bad_update",
    400,
    "The body is not a Telegram update (a JSON object with update_id)",
  );
