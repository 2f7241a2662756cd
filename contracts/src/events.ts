import type { TTicketEventType } from "./enums.js";

/**
 * Domain events: what the server publishes after a transaction commits, to its processors
 * (real time, notifications, conversations, later SLA and webhooks). One name per event.
 */

/** Something happened to a ticket; `data.is_internal` marks events about internal notes. */
export type TTicketEvent = {
  type: TTicketEventType;
  ticketId: number;
  /** The history row (`ticket_events.id`); null only for `deleted`. */
  eventId: number | null;
  actorId: number | null;
  data: Record<string, unknown> & { is_internal?: boolean };
  at: string;
};

/** A user's rights changed (role, departments, deactivation, sessions, tokens); null: anyone's. */
export type TAccessChangedEvent = { type: "access_changed"; userId: number | null; at: string };

/** Queues, departments, priorities or categories changed. */
export type TCatalogChangedEvent = { type: "catalog_changed"; at: string };

/** An in-app notification was stored for a user. */
export type TNotificationCreatedEvent = {
  type: "notification_created";
  userId: number;
  ticketId: number | null;
  /** The notification as `GET /api/notifications` shows it. */
  notification: Record<string, unknown> & { kind: string };
  at: string;
};

export type TDomainEvent =
  | TTicketEvent
  | TAccessChangedEvent
  | TCatalogChangedEvent
  | TNotificationCreatedEvent;
export type TDomainEventType = TDomainEvent["type"];

const NON_TICKET_EVENT_TYPES = new Set<string>(["access_changed", "catalog_changed", "notification_created"]);

export const isTicketEvent = (event: TDomainEvent): event is TTicketEvent =>
  !NON_TICKET_EVENT_TYPES.has(event.type);
