import type { TFunction } from "i18next";
import { ApiError } from "../../shared/api/client";
import { describeError } from "../../shared/api/errors";

/** A translated message for a Telegram admin error: own codes first, then the shared ones. */
export function describeTelegramAdminError(error: unknown, t: TFunction): string {
  if (error instanceof ApiError) {
    const key = `telegramAdmin.errors.${error.code}`;
    if (t(key, { defaultValue: "" }) !== "") {
      return t(key);
    }
  }
  return describeError(error, t);
}

/** The code of an API error, null for anything else (a network failure has `network.unreachable`). */
export function errorCode(error: unknown): string | null {
  return error instanceof ApiError ? error.code : null;
}

/** Telegram's flood waits: too many tries, `details.retry_after` says how long to wait. */
export const FLOOD_CODES: ReadonlySet<string> = new Set([
  "telegram.flood_wait",
  "telegram.phone_number_flood",
]);

/** Seconds Telegram asks to wait before the next try (`details.retry_after`), when it says. */
export function retryAfterSeconds(error: unknown): number | null {
  if (!(error instanceof ApiError) || !FLOOD_CODES.has(error.code)) {
    return null;
  }
  const seconds = (error.details as { retry_after?: unknown } | undefined)?.retry_after;
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : null;
}

/** What Telegram answered when it refused a token (`details.reason`), shown as a technical detail. */
export function telegramRefusalReason(error: unknown): string | null {
  if (!(error instanceof ApiError) || error.code !== "telegram.token_refused") {
    return null;
  }
  const reason = (error.details as { reason?: unknown } | undefined)?.reason;
  return typeof reason === "string" && reason !== "" ? reason : null;
}

/** The body fields a 400 `validation.invalid` names (`details[].path` such as `body.bot_token`). */
export function invalidFields(error: unknown): Set<string> {
  const fields = new Set<string>();
  if (error instanceof ApiError && error.code === "validation.invalid" && Array.isArray(error.details)) {
    for (const issue of error.details as { path?: unknown }[]) {
      if (typeof issue.path === "string") {
        fields.add(issue.path.replace(/^body\./, "").split(".")[0] ?? "");
      }
    }
  }
  return fields;
}
