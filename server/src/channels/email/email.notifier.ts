import type { TNotifier } from "../../modules/notifications/notifications.notifier.js";
import { resolveTransport, sendMail } from "./email.mailer.js";
import { renderNotificationEmail } from "./email.templates.js";
import {
  messageIdDomain,
  notificationMessageId,
  rememberThreadIds,
  threadHeadersFor,
  ticketRootMessageId,
} from "./email.threading.js";

/**
 * Notifications by e-mail: one mail per notice in the recipient's language, threaded under the
 * ticket's other mail (so a reply to it comes back to the ticket). A batch resolves the SMTP
 * transport and the organisation's name once, each ticket's thread once, and records the
 * Message-IDs it sent in one statement.
 */
export const emailNotifier: TNotifier = {
  channel: "email",
  open(ctx) {
    // Read when the first mail needs them (and once for the batch).
    let transport: ReturnType<typeof resolveTransport> | undefined;
    let organisation: Promise<string> | undefined;
    const threads = new Map<number, ReturnType<typeof threadHeadersFor>>();
    const sent: { ticketId: number; messageId: string }[] = [];
    return {
      async send({ event, recipient, language, link }) {
        if (!recipient.email) return { skipped: "the recipient has no e-mail address" };
        transport ??= resolveTransport(ctx);
        const resolved = await transport;
        const domain = messageIdDomain(resolved.from, ctx.config.publicUrl);
        const ticketId = event.ticket.id;
        const root = ticketRootMessageId(ctx.config.appSecret, domain, ticketId);
        const messageId = notificationMessageId(
          ctx.config.appSecret,
          domain,
          ticketId,
          event.eventId,
          recipient.id,
        );
        let thread = threads.get(ticketId);
        if (!thread) {
          thread = threadHeadersFor(ctx.db, ticketId, root);
          threads.set(ticketId, thread);
        }
        const { inReplyTo, references } = await thread;
        organisation ??= ctx.settings.get().then((s) => s.organisation_name);
        const mail = renderNotificationEmail(language, event.facts, {
          link,
          organisation: await organisation,
        });
        await sendMail(
          ctx,
          { to: recipient.email, ...mail, messageId, inReplyTo, references, language },
          resolved,
        );
        sent.push({ ticketId, messageId }, { ticketId, messageId: root });
        return "sent";
      },
      finish: () => rememberThreadIds(ctx.db, sent, "out"),
    };
  },
};
