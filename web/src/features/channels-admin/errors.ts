import type { TFunction } from "i18next";
import { ApiError } from "../../shared/api/client";
import { describeError } from "../../shared/api/errors";

/** A translated message for a channel admin error: own codes first, then the shared ones. */
export function describeChannelError(error: unknown, t: TFunction): string {
  if (error instanceof ApiError) {
    const key = `channelsAdmin.errors.${error.code}`;
    if (t(key, { defaultValue: "" }) !== "") {
      return t(key);
    }
  }
  return describeError(error, t);
}
