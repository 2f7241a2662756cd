import type { TChat, TChatMessage } from "@helpdesk/contracts";
import type { TActor } from "../auth/auth.actor.js";
import type { TOutbound } from "../conversations/conversations.repository.js";
import { presentAttachment, presentIso, type TAttachmentRow } from "../tickets/tickets.presenter.js";
import { chatAbilities } from "./inbox.policies.js";
import type { TChatMessageRow, TChatRow } from "./inbox.repository.js";

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** A chat row as the API shows it, with what the reader may do. */
export function presentChat(r: TChatRow, actor: TActor): TChat {
  const assigneeId = num(r.assignee_id);
  const lastId = num(r.last_message_id);
  return {
    id: Number(r.id),
    account_id: Number(r.account_id),
    channel: r.channel,
    external_id: r.external_id,
    title: r.title,
    contact: { id: Number(r.contact_user_id), name: r.contact_name },
    assignee_id: assigneeId,
    assignee: assigneeId === null ? null : { id: assigneeId, name: r.assignee_name ?? "" },
    ticket_id: num(r.ticket_id),
    ticket_status: (r.ticket_status as TChat["ticket_status"]) ?? null,
    unread_count: Number(r.unread_count),
    last_message:
      lastId === null
        ? null
        : { id: lastId, text: r.last_text ?? "", direction: r.last_is_inbound ? "in" : "out" },
    last_message_at: presentIso(r.last_message_at),
    last_inbound_at: presentIso(r.last_inbound_at),
    created_at: presentIso(r.created_at),
    abilities: chatAbilities(actor, { assigneeId, queueId: num(r.queue_id) }),
  };
}

/**
 * A chat's message: `in` from the contact, `out` from staff with its delivery state (a staff
 * message with no outbound row yet is waiting for its first attempt: `queued`).
 */
export function presentChatMessage(
  chatId: number,
  r: TChatMessageRow,
  delivery: TOutbound | undefined,
  files: TAttachmentRow[],
): TChatMessage {
  const isIn = Boolean(r.is_inbound);
  return {
    id: Number(r.id),
    chat_id: chatId,
    ticket_id: Number(r.ticket_id),
    text: r.body,
    direction: isIn ? "in" : "out",
    delivery_state: isIn ? null : (delivery?.state ?? "queued"),
    delivery_error: isIn ? null : (delivery?.lastError ?? null),
    author: {
      id: Number(r.author_id),
      name: r.author_name,
      role: r.author_role as TChatMessage["author"]["role"],
    },
    attachments: files.map(presentAttachment),
    created_at: presentIso(r.created_at),
  };
}
