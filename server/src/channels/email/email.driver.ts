import { type ChannelDriver, defineChannelDriver } from "../channel-driver.js";
import { EMAIL_CHANNEL, ZImapAccountConfig } from "./email.accounts.js";
import { resolveTransport, sendMail, verifySmtp } from "./email.mailer.js";
import { renderReplyEmail } from "./email.templates.js";
import {
  messageIdDomain,
  rememberMessageIds,
  replyMessageId,
  threadHeadersFor,
  ticketRootMessageId,
} from "./email.threading.js";
import {
  ensureEnvMailbox,
  type MailboxRunner,
  receiveMailbox,
  type TMailboxHooks,
  testMailboxConnection,
} from "./imap.worker.js";
import { SMTP_ACCOUNT_KIND, ZSmtpAccountConfig } from "./smtp.account.js";

export type TEmailDriverOptions = {
  /** How often a mailbox without IDLE push is searched (IDLE wakes it at once). */
  pollMs?: number;
  /** Tests break things at chosen points of a fetch. */
  hooks?: TMailboxHooks;
};

export type EmailDriver = ChannelDriver & {
  /** The mailbox readers running in this process, by account id. */
  runners: Map<number, MailboxRunner>;
  /** Wakes every reader now (new mail expected). */
  kickAll(): void;
};

/**
 * The e-mail channel as a driver: IMAP mailboxes are its channel accounts (read under the
 * runtime's lease, IDLE with a poll fallback), and replies to customers who wrote by mail go
 * out through its sendReply. SMTP settings and the admin screens stay in this folder.
 */
export function createEmailDriver(options: TEmailDriverOptions = {}): EmailDriver {
  const runners = new Map<number, MailboxRunner>();
  const driver = defineChannelDriver({
    name: EMAIL_CHANNEL,
    accountConfig: ZImapAccountConfig,
    secretFields: ["password"],
    ensureEnvAccount: ensureEnvMailbox,
    receive: (ctx, account, control) =>
      receiveMailbox(ctx, account, control, {
        pollMs: options.pollMs ?? 30_000,
        hooks: options.hooks,
        runners,
      }),
    async testConnection(_ctx, account) {
      const result = await testMailboxConnection(account.config);
      return result.ok ? { ok: true } : result;
    },
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
  return {
    ...driver,
    runners,
    kickAll() {
      for (const r of runners.values()) r.kick();
    },
  };
}

/**
 * The SMTP sender as an account kind: it only holds the outgoing server (set on the SMTP tab,
 * started and stopped in Admin → Channels). No receiver and no replies of its own: the e-mail
 * driver and the e-mail notifier send through it.
 */
export const smtpSenderDriver = defineChannelDriver({
  name: SMTP_ACCOUNT_KIND,
  accountConfig: ZSmtpAccountConfig,
  secretFields: ["password"],
  // The account's config comes with the password already opened.
  testConnection: (_ctx, account) => verifySmtp(account.config, account.config.password),
});
