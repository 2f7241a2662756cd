import { ZBigId } from "@helpdesk/contracts";
import { z } from "zod";

export const ZTicketIdParams = z.strictObject({ id: ZBigId });

const ZRef = z.object({ id: z.number(), slug: z.string().nullable(), name: z.string().nullable() });
const ZPersonRef = z.object({ id: z.number(), name: z.string().nullable(), email: z.string().nullable() });

/** The ticket as returned by every ticket endpoint (documents the OpenAPI response). */
export const ZTicket = z.object({
  id: z.number(),
  title: z.string(),
  description: z.string(),
  status: z.enum(["open", "in_progress", "waiting_for_client", "closed"]),
  priority: ZRef,
  category: ZRef.nullable(),
  queue: ZRef,
  requester: ZPersonRef,
  assignee: ZPersonRef.nullable(),
  source: z.string(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
  first_response_at: z.string().nullable(),
  closed_at: z.string().nullable(),
  archived_at: z.string().nullable(),
  attachments: z
    .array(
      z.object({
        id: z.string(),
        filename: z.string(),
        content_type: z.string(),
        size: z.number(),
        url: z.string(),
        created_at: z.string(),
        message_id: z.number().nullable(),
      }),
    )
    .optional(),
});

export const ZTicketPage = z.object({
  results: z.array(ZTicket),
  next: z.string().nullable(),
  /** Present when a search found no word and ran with the nearest known words instead. */
  corrected_query: z.string().optional(),
});
