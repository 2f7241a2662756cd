import type { TLanguage, TNotificationChannel } from "@helpdesk/contracts";
import type { AppContext } from "../../app-context.js";
import type { TActorState } from "../auth/auth.repository.js";
import type { TEventContext } from "./notifications.engine.js";

export type TNotifierCtx = Pick<AppContext, "db" | "config" | "logger" | "settings">;

/** One delivery as a notifier sees it: the event, and a recipient who may be told of it now. */
export type TNotice = {
  event: TEventContext & { facts: NonNullable<TEventContext["facts"]> };
  recipient: TActorState;
  language: TLanguage;
  /** The ticket in the web app. */
  link: string;
};

export type TNotifierOutcome = "sent" | { skipped: string };

/**
 * How notifications reach people on one channel (e-mail, web push; Telegram next). The
 * delivery job looks notifiers up by the delivery's channel; in-app notifications are written
 * at fan-out and need none. A batch of deliveries opens one session per channel, so what the
 * mails of a batch share (the SMTP transport, a ticket's thread) is read once.
 */
export type TNotifier = {
  channel: TNotificationChannel;
  open(ctx: TNotifierCtx): {
    /** Sends one notice; throws when it should be retried. */
    send(notice: TNotice): Promise<TNotifierOutcome>;
    /** Records what the batch's sends share (called once, after them all). */
    finish(): Promise<void>;
  };
};
