import type { TFunction } from "i18next";
import { ApiError } from "../../shared/api/client";
import { describeError } from "../../shared/api/errors";

/** A translated message for an e-mail admin error: own codes first, then the shared ones. */
export function describeEmailError(error: unknown, t: TFunction): string {
  if (error instanceof ApiError) {
    const key = `emailAdmin.errors.${error.code}`;
    if (t(key, { defaultValue: "" }) !== "") {
      return t(key);
    }
  }
  return describeError(error, t);
}

/** The server's technical detail (e.g. the SMTP reply), shown under the translated message. */
export function technicalDetail(error: unknown): string | null {
  if (error instanceof ApiError && error.code === "email.send_failed" && error.message) {
    return error.message;
  }
  return null;
}
