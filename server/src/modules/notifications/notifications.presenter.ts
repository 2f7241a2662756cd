import type { TDelivery } from "@helpdesk/contracts";
import type { TDeliveryRow } from "./notifications.repository.js";

/** A row of the delivery log as the admin API shows it. */
export const presentDelivery = (d: TDeliveryRow, userEmail: string | null): TDelivery => ({
  id: d.id,
  event_id: d.eventId,
  ticket_id: d.ticketId,
  user_id: d.userId,
  user_email: userEmail,
  channel: d.channel,
  kind: d.kind,
  status: d.status,
  attempts: d.attempts,
  last_error: d.lastError,
  created_at: d.createdAt.toISOString(),
  updated_at: d.updatedAt.toISOString(),
  sent_at: d.sentAt?.toISOString() ?? null,
});
