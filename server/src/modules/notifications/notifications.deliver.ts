import type { TLanguage } from "@helpdesk/contracts";
import { eq, inArray, sql } from "drizzle-orm";
import type { AppContext } from "../../app-context.js";
import { SMTP_POOL_CONNECTIONS } from "../../channels/email/email.mailer.js";
import { emailNotifier } from "../../channels/email/email.notifier.js";
import { telegramNotifier } from "../../channels/telegram-bot/telegram.notifier.js";
import { idArray } from "../../platform/db/id-array.js";
import { notificationDeliveries } from "../../platform/db/schema/index.js";
import { findActorsByIds } from "../auth/auth.repository.js";
import { loadEventContexts, mayBeToldAbout } from "./notifications.engine.js";
import type { TNotifier, TNotifierOutcome } from "./notifications.notifier.js";
import { webPushNotifier } from "./notifications.push.js";

/** Attempts before a delivery is given up (pg-boss retries with exponential backoff between). */
export const MAX_DELIVERY_ATTEMPTS = 6;

type TClaimed = { id: number; event_id: number; user_id: number; channel: string; attempts: number };

/** Mails of one batch sent at once, by default: as many as the SMTP pool keeps connections open. */
const SEND_PARALLELISM = SMTP_POOL_CONNECTIONS;

type TDeliverCtx = Pick<AppContext, "db" | "config" | "logger" | "settings">;

/**
 * Sends a batch of queued deliveries: claimed in one statement, the events and recipients read
 * in one query each and every ticket thread once, a few mails on the wire at a time, the
 * outcomes recorded together. Every delivery gets the same checks as on its own (see sendOne).
 * Returns the deliveries that failed and should be retried, with their error.
 */
export async function deliverNotifications(
  ctx: TDeliverCtx,
  deliveryIds: number[],
  options: {
    /** Mails on the wire at once (the embedded server keeps this low: one event loop for all). */
    parallelism?: number;
  } = {},
): Promise<{ retry: Map<number, unknown> }> {
  const retry = new Map<number, unknown>();
  if (deliveryIds.length === 0) return { retry };
  const { rows } = await ctx.db.execute<TClaimed>(sql`
    UPDATE notification_deliveries
    SET status = 'sending', attempts = attempts + 1, locked_until = now() + interval '2 minutes', updated_at = now()
    WHERE id = ANY(${idArray(deliveryIds)})
      AND (status IN ('queued', 'retrying') OR (status = 'sending' AND locked_until < now()))
    RETURNING id::float8 AS id, event_id::float8 AS event_id, user_id, channel, attempts`);
  if (rows.length === 0) return { retry };
  const claimed = rows.map((d) => ({
    ...d,
    id: Number(d.id),
    event_id: Number(d.event_id),
    user_id: Number(d.user_id),
  }));
  const batch = openBatch(ctx, claimed);
  const outcomes = new Map<number, "sent" | { skipped: string } | { error: unknown }>();
  // A few lanes, each taking the next delivery when its last one is done: one slow mail
  // holds up its own lane, not a whole slice of the batch.
  let next = 0;
  const lane = async () => {
    while (next < claimed.length) {
      const d = claimed[next++] as TClaimed;
      try {
        outcomes.set(d.id, await sendOne(ctx, d, batch));
      } catch (error) {
        outcomes.set(d.id, { error });
      }
    }
  };
  const lanes = Math.max(1, Math.min(options.parallelism ?? SEND_PARALLELISM, claimed.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  const sent = claimed.filter((d) => outcomes.get(d.id) === "sent").map((d) => d.id);
  await batch.finish();
  if (sent.length > 0) {
    await ctx.db
      .update(notificationDeliveries)
      .set({ status: "sent", sentAt: new Date(), lockedUntil: null, lastError: null, updatedAt: new Date() })
      .where(inArray(notificationDeliveries.id, sent));
  }
  for (const d of claimed) {
    const outcome = outcomes.get(d.id);
    if (!outcome || outcome === "sent") continue;
    if ("skipped" in outcome) {
      await ctx.db
        .update(notificationDeliveries)
        .set({
          status: "skipped",
          sentAt: null,
          lockedUntil: null,
          lastError: outcome.skipped,
          updatedAt: new Date(),
        })
        .where(eq(notificationDeliveries.id, d.id));
      continue;
    }
    const error = outcome.error;
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
    const isFinal = d.attempts >= MAX_DELIVERY_ATTEMPTS;
    await ctx.db
      .update(notificationDeliveries)
      .set({
        status: isFinal ? "failed" : "retrying",
        lastError: message,
        lockedUntil: null,
        updatedAt: new Date(),
      })
      .where(eq(notificationDeliveries.id, d.id));
    ctx.logger.warn(
      { deliveryId: d.id, attempts: d.attempts, err: error },
      isFinal ? "delivery failed for good" : "delivery failed; retrying",
    );
    if (!isFinal) retry.set(d.id, error);
  }
  return { retry };
}

/** Notifiers by channel: how a delivery reaches its recipient. */
const NOTIFIERS = new Map<string, TNotifier>(
  [emailNotifier, webPushNotifier, telegramNotifier].map((n) => [n.channel, n]),
);

type TBatch = ReturnType<typeof openBatch>;

/**
 * What the deliveries of one batch share, read once: their events (one query) and recipients
 * (one query), and one session per channel's notifier.
 */
function openBatch(ctx: TDeliverCtx, claimed: TClaimed[]) {
  const events = loadEventContexts(
    ctx.db,
    claimed.map((d) => d.event_id),
  );
  const users = findActorsByIds(
    ctx.db,
    claimed.map((d) => d.user_id),
  ).then((actors) => new Map(actors.map((a) => [a.id, a])));
  // Both are awaited by the first delivery; a failure there fails the batch, never unobserved.
  events.catch(() => {});
  users.catch(() => {});
  const sessions = new Map<string, ReturnType<TNotifier["open"]>>();
  return {
    event: async (eventId: number) => (await events).get(eventId) ?? null,
    user: async (userId: number) => (await users).get(userId),
    session(channel: string) {
      const notifier = NOTIFIERS.get(channel);
      if (!notifier) return undefined;
      let session = sessions.get(channel);
      if (!session) {
        session = notifier.open(ctx);
        sessions.set(channel, session);
      }
      return session;
    },
    finish: async () => {
      for (const session of sessions.values()) await session.finish();
    },
  };
}

/**
 * Sends one delivery through its channel's notifier, or says why it was skipped. The
 * recipient's right to see the ticket (and the note) is checked again now: it was decided at
 * fan-out, but the ticket may have moved or the person lost their role since, and then nothing
 * about it may reach them. The event and the recipient are read when the batch runs, never
 * carried over from fan-out.
 */
async function sendOne(ctx: TDeliverCtx, d: TClaimed, batch: TBatch): Promise<TNotifierOutcome> {
  const ev = await batch.event(d.event_id);
  if (!ev?.facts) return { skipped: "the event or its ticket is gone" };
  const user = await batch.user(d.user_id);
  if (!user?.isActive) return { skipped: "the recipient is deactivated" };
  if (!mayBeToldAbout(user, ev)) return { skipped: "the recipient may no longer see this ticket" };
  const session = batch.session(d.channel);
  if (!session) return { skipped: `no delivery for channel ${d.channel}` };
  return session.send({
    event: { ...ev, facts: ev.facts },
    recipient: user,
    language: user.language as TLanguage,
    link: `${ctx.config.publicUrl}/tickets/${ev.ticket.id}`,
  });
}
