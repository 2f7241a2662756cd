import { notifications } from "@mantine/notifications";
import type { TFunction } from "i18next";
import { ApiError } from "../../shared/api/client";
import { describeError } from "../../shared/api/errors";

/** A translated message for an inbox error: `inbox.*` codes from `inbox.errors.*`, the rest as everywhere. */
export function describeInboxError(error: unknown, t: TFunction): string {
  if (error instanceof ApiError && error.code.startsWith("inbox.")) {
    const key = `inbox.errors.${error.code.slice("inbox.".length)}`;
    if (t(key, { defaultValue: "" }) !== "") return t(key);
  }
  return describeError(error, t);
}

/** The ticket a 409 `inbox.ticket_closed` names, if the error is that one. */
export function closedTicketOf(error: unknown): number | null | undefined {
  if (!(error instanceof ApiError) || error.code !== "inbox.ticket_closed") return undefined;
  const id = (error.details as { ticket_id?: unknown } | undefined)?.ticket_id;
  return typeof id === "number" ? id : null;
}

/** A red toast with the translated error. */
export function notifyInboxError(error: unknown, t: TFunction): void {
  notifications.show({ color: "red", message: describeInboxError(error, t), autoClose: 8000 });
}
