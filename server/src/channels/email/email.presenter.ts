import type { TInboundMail, TMailbox, TOutboxMail } from "@helpdesk/contracts";
import type { TInboundItemRow } from "../../modules/conversations/conversations.repository.js";
import type { TMailboxRow } from "./email.accounts.js";
import type { TOutboxRow } from "./email.repository.js";

/** A mailbox as the admin API shows it: never the password, only whether there is one. */
export function presentMailbox(m: TMailboxRow): TMailbox {
  return {
    id: m.id,
    name: m.name,
    source: m.source,
    host: m.host,
    port: m.port,
    tls: m.tls,
    username: m.username,
    has_password: m.passwordEnc.length > 0,
    folder: m.folder,
    queue_id: m.queueId,
    is_enabled: m.isEnabled,
    state: m.state,
    last_fetch_at: m.lastFetchAt?.toISOString() ?? null,
    last_error: m.lastError,
    last_error_at: m.lastErrorAt?.toISOString() ?? null,
    uid_validity: m.uidValidity,
    last_uid: m.lastUid,
  };
}

export const presentOutboxMail = (r: TOutboxRow): TOutboxMail => ({
  id: r.id,
  to: r.to,
  from: r.from,
  subject: r.subject,
  text: r.text,
  html: r.html,
  message_id: r.messageId,
  headers: r.headers as TOutboxMail["headers"],
  created_at: r.createdAt.toISOString(),
});

/** An inbound e-mail as the log shows it; the receipt key is the mailbox's UIDVALIDITY:UID. */
export const presentInboundMail = (r: TInboundItemRow): TInboundMail => ({
  id: r.id,
  mailbox_id: r.accountId,
  uid: Number(r.deliveryKey?.split(":")[1] ?? 0),
  message_id: r.externalId,
  status: r.status,
  reason: r.reason,
  from: r.sender,
  subject: r.subject,
  size: r.size,
  ticket_id: r.ticketId,
  message_row_id: r.ticketMessageId,
  raw_attachment_id: r.originalAttachmentId,
  rejected_attachments: r.rejectedFiles as TInboundMail["rejected_attachments"],
  created_at: r.createdAt.toISOString(),
});
