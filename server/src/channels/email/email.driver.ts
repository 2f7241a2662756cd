import { z } from "zod";
import { defineChannelDriver } from "../channel-driver.js";
import { resolveTransport, sendMail } from "./email.mailer.js";
import { renderReplyEmail } from "./email.templates.js";
import {
  messageIdDomain,
  rememberMessageIds,
  replyMessageId,
  threadHeadersFor,
  ticketRootMessageId,
} from "./email.threading.js";

/**
 * The e-mail channel as a driver. Mailboxes (IMAP in) and the SMTP sender still have their own
 * tables and admin screens; replies to customers who wrote by mail go out through here.
 */
export const emailDriver = defineChannelDriver({
  name: "email",
  accountConfig: z.object({}),
  async sendReply(ctx, reply) {
    if (!reply.contact.email) throw new Error("the contact has no e-mail address");
    const { from } = await resolveTransport(ctx);
    const domain = messageIdDomain(from, ctx.config.publicUrl);
    const root = ticketRootMessageId(ctx.config.appSecret, domain, reply.ticket.id);
    const messageId = replyMessageId(ctx.config.appSecret, domain, reply.ticket.id, reply.message.id);
    const thread = await threadHeadersFor(ctx.db, reply.ticket.id, root);
    const organisation = (await ctx.settings.get()).organisation_name;
    const mail = renderReplyEmail(
      reply.contact.language,
      {
        ticketId: reply.ticket.id,
        ticketTitle: reply.ticket.title,
        authorName: reply.message.authorName,
        text: reply.message.text,
      },
      { link: `${ctx.config.publicUrl}/tickets/${reply.ticket.id}`, organisation },
    );
    await sendMail(ctx, {
      to: reply.contact.email,
      ...mail,
      messageId,
      inReplyTo: thread.inReplyTo,
      references: thread.references,
      language: reply.contact.language,
    });
    await rememberMessageIds(ctx.db, reply.ticket.id, [messageId, root], "out");
    return { externalId: messageId };
  },
});
