import type { TLanguage } from "@helpdesk/contracts";
import { eq, sql } from "drizzle-orm";
import type { AppContext } from "../../app-context.js";
import { resolveTransport, sendMail } from "../../channels/email/email.mailer.js";
import { renderNotificationEmail } from "../../channels/email/email.templates.js";
import {
  messageIdDomain,
  notificationMessageId,
  rememberMessageIds,
  threadHeadersFor,
  ticketRootMessageId,
} from "../../channels/email/email.threading.js";
import { notificationDeliveries } from "../../platform/db/schema/index.js";
import { findActorsByIds } from "../auth/auth.repository.js";
import { loadEventContext, mayBeToldAbout } from "./notifications.engine.js";
import { pushToUser } from "./notifications.push.js";
import { describeNotification } from "./notifications.texts.js";

/** Attempts before a delivery is given up (pg-boss retries with exponential backoff between). */
export const MAX_DELIVERY_ATTEMPTS = 6;

type TClaimed = { id: number; event_id: number; user_id: number; channel: string; attempts: number };

/**
 * Sends one queued delivery. The row is claimed first (status `sending`, a lease), so two
 * workers never send the same one; a sent or failed row is never sent again. A failure is
 * recorded and rethrown so pg-boss retries it with backoff, until MAX_DELIVERY_ATTEMPTS.
 */
export async function deliverNotification(
  ctx: Pick<AppContext, "db" | "config" | "logger" | "settings">,
  deliveryId: number,
) {
  const { rows } = await ctx.db.execute<TClaimed>(sql`
    UPDATE notification_deliveries
    SET status = 'sending', attempts = attempts + 1, locked_until = now() + interval '2 minutes', updated_at = now()
    WHERE id = ${deliveryId}
      AND (status IN ('queued', 'retrying') OR (status = 'sending' AND locked_until < now()))
    RETURNING id::float8 AS id, event_id::float8 AS event_id, user_id, channel, attempts`);
  const d = rows[0];
  if (!d) return;
  try {
    const outcome = await sendOne(ctx, { ...d, event_id: Number(d.event_id), user_id: Number(d.user_id) });
    const skipped = outcome !== "sent";
    await ctx.db
      .update(notificationDeliveries)
      .set({
        status: skipped ? "skipped" : "sent",
        sentAt: skipped ? null : new Date(),
        lockedUntil: null,
        lastError: skipped ? outcome.skipped : null,
        updatedAt: new Date(),
      })
      .where(eq(notificationDeliveries.id, deliveryId));
  } catch (error) {
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
      .where(eq(notificationDeliveries.id, deliveryId));
    ctx.logger.warn(
      { deliveryId, attempts: d.attempts, err: error },
      isFinal ? "delivery failed for good" : "delivery failed; retrying",
    );
    if (!isFinal) throw error;
  }
}

/**
 * Sends one delivery, or says why it was skipped. The recipient's right to see the ticket (and
 * the note) is checked again now: it was decided at fan-out, but the ticket may have moved or
 * the person lost their role since, and then nothing about it may reach them.
 */
async function sendOne(
  ctx: Pick<AppContext, "db" | "config" | "logger" | "settings">,
  d: TClaimed,
): Promise<"sent" | { skipped: string }> {
  const ev = await loadEventContext(ctx.db, d.event_id);
  if (!ev?.facts) return { skipped: "the event or its ticket is gone" };
  const [user] = await findActorsByIds(ctx.db, [d.user_id]);
  if (!user?.isActive) return { skipped: "the recipient is deactivated" };
  if (!mayBeToldAbout(user, ev)) return { skipped: "the recipient may no longer see this ticket" };
  const lang = user.language as TLanguage;
  const link = `${ctx.config.publicUrl}/tickets/${ev.ticket.id}`;
  if (d.channel === "email") {
    if (!user.email) return { skipped: "the recipient has no e-mail address" };
    const { from } = await resolveTransport(ctx);
    const domain = messageIdDomain(from, ctx.config.publicUrl);
    const root = ticketRootMessageId(ctx.config.appSecret, domain, ev.ticket.id);
    const messageId = notificationMessageId(ctx.config.appSecret, domain, ev.ticket.id, ev.eventId, user.id);
    const thread = await threadHeadersFor(ctx.db, ev.ticket.id, root);
    const organisation = (await ctx.settings.get()).organisation_name;
    const mail = renderNotificationEmail(lang, ev.facts, { link, organisation });
    await sendMail(ctx, {
      to: user.email,
      ...mail,
      messageId,
      inReplyTo: thread.inReplyTo,
      references: thread.references,
      language: lang,
    });
    await rememberMessageIds(ctx.db, ev.ticket.id, [messageId, root], "out");
    return "sent";
  }
  if (d.channel === "web_push") {
    const text = describeNotification(lang, ev.facts);
    const n = await pushToUser(ctx, user.id, { ...text, url: link, ticket_id: ev.ticket.id, kind: ev.kind });
    return n > 0 ? "sent" : { skipped: "no push subscription" };
  }
  return { skipped: `no delivery for channel ${d.channel}` };
}
