import type { TTicket } from "@helpdesk/contracts";
import type { TActor } from "../auth/auth.actor.js";
import { ticketAbilities } from "./tickets.policies.js";
import type { TTicketRow } from "./tickets.repository.js";

function iso(d: Date | string): string;
function iso(d: Date | string | null | undefined): string | null;
function iso(d: Date | string | null | undefined): string | null {
  return d == null ? null : (d instanceof Date ? d : new Date(d)).toISOString();
}

/** A ticket as the API shows it to the actor: names in their language, their abilities. */
export function presentTicket(r: TTicketRow, actor: TActor): Omit<TTicket, "attachments"> {
  const en = actor.language === "en";
  return {
    id: r.id,
    title: r.title,
    description: r.description,
    status: r.status,
    priority: {
      id: r.priority_id,
      slug: r.priority_slug,
      name: en ? r.priority_name_en : r.priority_name_ru,
    },
    category:
      r.category_id == null
        ? null
        : {
            // Joined rows: present whenever the id is.
            id: r.category_id,
            slug: r.category_slug ?? "",
            name: (en ? r.category_name_en : r.category_name_ru) ?? "",
          },
    queue: { id: r.queue_id, slug: r.queue_slug, name: en ? r.queue_name_en : r.queue_name_ru },
    requester: { id: r.requester_id, name: r.requester_name, email: r.requester_email },
    assignee:
      r.assignee_id == null
        ? null
        : { id: r.assignee_id, name: r.assignee_name ?? "", email: r.assignee_email ?? "" },
    source: r.source,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
    first_response_at: iso(r.first_response_at),
    closed_at: iso(r.closed_at),
    archived_at: iso(r.archived_at),
    abilities: ticketAbilities(actor, {
      requesterId: r.requester_id,
      assigneeId: r.assignee_id,
      queueId: r.queue_id,
      status: r.status,
    }),
  };
}
export type TTicketJson = ReturnType<typeof presentTicket>;

export type TAttachmentRow = {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  createdAt: Date;
};

export const presentAttachment = (a: TAttachmentRow) => ({
  id: a.id,
  filename: a.filename,
  content_type: a.contentType,
  size: a.size,
  url: `/api/attachments/${a.id}/`,
  created_at: a.createdAt.toISOString(),
});

export const presentIso = iso;
