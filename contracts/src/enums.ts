/** Roles a user can have. Requesters file requests; staff roles are granted by an admin. */
export const ROLES = ["requester", "operator", "executor", "admin"] as const;
export type TRole = (typeof ROLES)[number];

/** Ticket statuses (seed S4). */
export const TICKET_STATUSES = ["open", "in_progress", "waiting_for_client", "closed"] as const;
export type TTicketStatus = (typeof TICKET_STATUSES)[number];

/** Where a ticket came from. */
export const TICKET_SOURCES = ["web", "api", "email", "telegram", "widget"] as const;
export type TTicketSource = (typeof TICKET_SOURCES)[number];

export const LANGUAGES = ["ru", "en"] as const;
export type TLanguage = (typeof LANGUAGES)[number];

export const THEMES = ["system", "light", "dark"] as const;
export type TTheme = (typeof THEMES)[number];

/**
 * What can happen to a ticket: the one name of each event, used alike by its history row
 * (`ticket_events.type`), the event bus, the WebSocket `event_type` and processors. All but
 * `deleted` (the ticket and its history are gone) have a history row.
 */
export const TICKET_EVENT_TYPES = [
  "created",
  "updated",
  "status_changed",
  "assigned",
  "unassigned",
  "message",
  "note",
  "message_edited",
  "message_deleted",
  "attachment",
  "archived",
  "unarchived",
  "deleted",
] as const;
export type TTicketEventType = (typeof TICKET_EVENT_TYPES)[number];

/** Notification event kinds a user can tune, each × channel. */
export const NOTIFICATION_KINDS = [
  "ticket_created",
  "ticket_assigned",
  "status_changed",
  "ticket_closed",
  "new_message",
  "new_note",
] as const;
export type TNotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Channels a notification can go out on. */
export const NOTIFICATION_CHANNELS = ["email", "in_app", "web_push", "telegram"] as const;
export type TNotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];
