import { z } from "zod";
import { ROLES, TICKET_STATUSES } from "./enums.js";

/**
 * What the reader may do with a ticket, decided by the server's policies: clients show and
 * hide actions by these instead of re-implementing the rules.
 */
export const ZTicketAbilities = z.object({
  /** Change the title and description. */
  can_edit: z.boolean(),
  /** Change priority and category. */
  can_edit_fields: z.boolean(),
  /** Move it to another queue. */
  can_change_queue: z.boolean(),
  /** The statuses it may be moved to from the current one. */
  can_change_status_to: z.array(z.enum(TICKET_STATUSES)),
  /** Assign anyone (dispatch). */
  can_assign: z.boolean(),
  /** Take the unassigned ticket for oneself. */
  can_take: z.boolean(),
  /** Complete and close it (seed S2's execute). */
  can_execute: z.boolean(),
  can_reply: z.boolean(),
  can_write_note: z.boolean(),
  can_delete: z.boolean(),
});
export type TTicketAbilities = z.infer<typeof ZTicketAbilities>;

const ZRef = z.object({ id: z.number(), slug: z.string(), name: z.string() });
const ZPersonRef = z.object({ id: z.number(), name: z.string(), email: z.string().nullable() });

export const ZAttachment = z.object({
  id: z.string(),
  filename: z.string(),
  content_type: z.string(),
  size: z.number(),
  url: z.string(),
  created_at: z.string(),
});
export type TAttachment = z.infer<typeof ZAttachment>;

/** The ticket as returned by every ticket endpoint. */
export const ZTicket = z.object({
  id: z.number(),
  title: z.string(),
  description: z.string(),
  status: z.enum(TICKET_STATUSES),
  priority: ZRef,
  category: ZRef.nullable(),
  queue: ZRef,
  requester: ZPersonRef,
  assignee: ZPersonRef.nullable(),
  source: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  first_response_at: z.string().nullable(),
  closed_at: z.string().nullable(),
  archived_at: z.string().nullable(),
  abilities: ZTicketAbilities,
  attachments: z.array(ZAttachment.extend({ message_id: z.number().nullable() })).optional(),
});
export type TTicket = z.infer<typeof ZTicket>;

export const ZTicketPage = z.object({
  results: z.array(ZTicket),
  next: z.string().nullable(),
  /** Present when a search found no word and ran with the nearest known words instead. */
  corrected_query: z.string().optional(),
});
export type TTicketPage = z.infer<typeof ZTicketPage>;

/** A public reply or an internal note. */
export const ZMessage = z.object({
  id: z.number(),
  ticket_id: z.number(),
  author: z.object({ id: z.number(), name: z.string(), role: z.enum(ROLES) }).nullable(),
  text: z.string(),
  is_internal: z.boolean(),
  source: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  attachments: z.array(ZAttachment),
  abilities: z.object({ can_edit: z.boolean(), can_delete: z.boolean() }),
  /**
   * Staff only: how a reply went back to the customer on their channel (e-mail, Telegram…);
   * null when it did not need to (filed on the web) and for requesters.
   */
  delivery: z
    .object({
      channel: z.string(),
      state: z.enum(["queued", "sent", "retrying", "failed"]),
      attempts: z.number(),
      last_error: z.string().nullable(),
      sent_at: z.string().nullable(),
    })
    .nullable(),
});
export type TMessage = z.infer<typeof ZMessage>;

export const ZMessagePage = z.object({ results: z.array(ZMessage), next: z.string().nullable() });

/** One row of a ticket's history. */
export const ZTicketHistoryEvent = z.object({
  id: z.number(),
  /** One of TICKET_EVENT_TYPES (rows written before a type was added keep their old name). */
  type: z.string(),
  actor: z.object({ id: z.number(), name: z.string() }).nullable(),
  data: z.record(z.string(), z.unknown()).nullable(),
  created_at: z.string(),
});
export type TTicketHistoryEvent = z.infer<typeof ZTicketHistoryEvent>;
