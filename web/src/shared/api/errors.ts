import { LIMITS } from "@helpdesk/contracts";
import type { TFunction } from "i18next";
import { ApiError } from "./client";

/** A translated, user-facing message for any thrown error; falls back to the server's message. */
export function describeError(error: unknown, t: TFunction): string {
  if (error instanceof ApiError) {
    const details = (error.details ?? {}) as Record<string, unknown>;
    const params = {
      domain: typeof details.domain === "string" ? details.domain : "",
      size: Math.round(LIMITS.uploadMaxBytes / 1024 / 1024),
    };
    const key = `errors.${error.code}`;
    if (t(key, { defaultValue: "" }) !== "") {
      return t(key, params);
    }
    if (error.message) {
      return error.message;
    }
    const byStatus = `errors.http.${error.status}`;
    if (t(byStatus, { defaultValue: "" }) !== "") {
      return t(byStatus);
    }
  }
  return t("errors.generic");
}
