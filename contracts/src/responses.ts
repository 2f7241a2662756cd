import { z } from "zod";
import { LANGUAGES, NOTIFICATION_CHANNELS, ROLES, THEMES } from "./enums.js";

/*
 * Response schemas: what the server answers, exactly (the routes declare them, so /api/docs/
 * documents every response; the web imports the types). They are strict: a field the server
 * adds or drops must be added or dropped here too (the integration tests parse real answers).
 */

const ZIsoDate = z.string();

/** A cursor-paged list: `{ results, next }`. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.strictObject({ results: z.array(item), next: z.string().nullable() });

/** A `204 No Content` answer. */
export const ZNoContent = z.null().describe("No content");

// --- users and auth -------------------------------------------------------------------------

/** A user as the API shows it (never the password hash). */
export const ZUser = z.strictObject({
  id: z.number(),
  /** Null for a contact reached only on Telegram or the widget. */
  email: z.string().nullable(),
  name: z.string(),
  role: z.enum(ROLES),
  language: z.enum(LANGUAGES),
  theme: z.enum(THEMES),
  is_active: z.boolean(),
  is_guest: z.boolean(),
  department_ids: z.array(z.number()),
  created_at: ZIsoDate,
  last_login_at: ZIsoDate.nullable(),
});
export type TUser = z.infer<typeof ZUser>;
export const ZUserPage = pageOf(ZUser);
export type TUserPage = z.infer<typeof ZUserPage>;

/** An active executor with their load (open tickets), for assignment. */
export const ZExecutor = z.strictObject({
  id: z.number(),
  name: z.string(),
  email: z.string(),
  open_tickets: z.number(),
  department_ids: z.array(z.number()),
});
export type TExecutor = z.infer<typeof ZExecutor>;
export const ZExecutorPage = pageOf(ZExecutor);

export const ZTokenPair = z.strictObject({ access: z.string(), refresh: z.string() });
export type TTokenPair = z.infer<typeof ZTokenPair>;
export const ZLoginResponse = z.strictObject({ access: z.string(), refresh: z.string(), user: ZUser });
export type TLoginResponse = z.infer<typeof ZLoginResponse>;
export const ZApiTokenResponse = z.strictObject({ token: z.string() });

// --- catalog and settings -------------------------------------------------------------------

const catalogBase = {
  id: z.number(),
  /** In the reader's language. */
  name: z.string(),
  name_ru: z.string(),
  name_en: z.string(),
  is_active: z.boolean(),
};
export const ZQueue = z.strictObject({
  ...catalogBase,
  slug: z.string(),
  department_id: z.number().nullable(),
});
export type TQueue = z.infer<typeof ZQueue>;
export const ZCategory = z.strictObject({ ...catalogBase, slug: z.string(), sort_order: z.number() });
export type TCategory = z.infer<typeof ZCategory>;
export const ZPriority = z.strictObject({ ...catalogBase, slug: z.string(), rank: z.number() });
export type TPriority = z.infer<typeof ZPriority>;
export const ZDepartment = z.strictObject(catalogBase);
export type TDepartment = z.infer<typeof ZDepartment>;

export const ZPublicSettings = z.strictObject({
  allowed_email_domain: z.string().nullable(),
  organisation_name: z.string(),
  default_language: z.enum(LANGUAGES),
  languages: z.array(z.enum(LANGUAGES)),
});
export type TPublicSettings = z.infer<typeof ZPublicSettings>;

/** The admin settings, with which of them the environment fixes. */
export const ZAdminSettings = z.strictObject({
  allowed_email_domain: z.string().nullable(),
  auto_hide_hours: z.number(),
  default_language: z.enum(LANGUAGES),
  organisation_name: z.string(),
  env_overrides: z.strictObject({ allowed_email_domain: z.boolean() }),
});
export type TAdminSettings = z.infer<typeof ZAdminSettings>;

// --- attachments ----------------------------------------------------------------------------

/** An uploaded file; `url` downloads it. */
export const ZUploadedAttachment = z.strictObject({
  id: z.string(),
  filename: z.string(),
  content_type: z.string(),
  size: z.number(),
  url: z.string(),
  created_at: ZIsoDate,
});
export type TUploadedAttachment = z.infer<typeof ZUploadedAttachment>;
/** A file's bytes, sent with its own Content-Type (documents a download; not JSON). */
export const ZFileDownload = z.unknown().describe("The file's bytes, with its Content-Type");

// --- notifications --------------------------------------------------------------------------

export const ZNotification = z.strictObject({
  id: z.number(),
  kind: z.string(),
  ticket_id: z.number().nullable(),
  title: z.string(),
  body: z.string(),
  created_at: ZIsoDate,
  read_at: ZIsoDate.nullable(),
});
export type TNotification = z.infer<typeof ZNotification>;
export const ZNotificationPage = z.strictObject({
  results: z.array(ZNotification),
  next: z.string().nullable(),
  unread_count: z.number(),
});
export type TNotificationPage = z.infer<typeof ZNotificationPage>;
export const ZReadAllResponse = z.strictObject({ updated: z.number(), unread_count: z.number() });

const ZChannelSwitches = z.strictObject({
  email: z.boolean(),
  in_app: z.boolean(),
  web_push: z.boolean(),
  telegram: z.boolean(),
});
/** Which events reach the user on which channel, and whether the app plays a sound (request and answer). */
export const ZNotificationPreferences = z.strictObject({
  events: z.strictObject({
    ticket_created: ZChannelSwitches,
    ticket_assigned: ZChannelSwitches,
    status_changed: ZChannelSwitches,
    ticket_closed: ZChannelSwitches,
    new_message: ZChannelSwitches,
    new_note: ZChannelSwitches,
  }),
  sound: z.boolean(),
});
export type TNotificationPreferences = z.infer<typeof ZNotificationPreferences>;

export const ZVapidPublicKey = z.strictObject({ public_key: z.string() });
export const ZOk = z.strictObject({ ok: z.literal(true) });
export const ZWatching = z.strictObject({ watching: z.boolean() });

export const DELIVERY_STATUSES = ["queued", "sending", "sent", "failed", "retrying", "skipped"] as const;
export type TDeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One row of the notification delivery log (admin). */
export const ZDelivery = z.strictObject({
  id: z.number(),
  event_id: z.number(),
  ticket_id: z.number().nullable(),
  user_id: z.number(),
  user_email: z.string().nullable(),
  channel: z.enum(NOTIFICATION_CHANNELS),
  kind: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number(),
  last_error: z.string().nullable(),
  created_at: ZIsoDate,
  updated_at: ZIsoDate,
  sent_at: ZIsoDate.nullable(),
});
export type TDelivery = z.infer<typeof ZDelivery>;
export const ZDeliveryPage = pageOf(ZDelivery);

// --- e-mail channel admin -------------------------------------------------------------------

/** Outgoing mail settings: the password is never returned, only `has_password`. */
export const ZSmtpSettings = z.strictObject({
  host: z.string(),
  port: z.number(),
  secure: z.boolean(),
  user: z.string(),
  has_password: z.boolean(),
  from: z.string(),
  effective_from: z.string(),
  /** smtp: through the sender (or SMTP_URL); outbox: no sender, kept in the outbox table; stopped: the sender is stopped, mail waits in the retries. */
  delivery: z.enum(["smtp", "outbox", "stopped"]),
  /** The SMTP sender's channel account (start and stop it in Admin → Channels); null when there is none. */
  account_id: z.number().nullable(),
  env_overrides: z.strictObject({ smtp_url: z.boolean(), mail_from: z.boolean() }),
});
export type TSmtpSettings = z.infer<typeof ZSmtpSettings>;

export const ZTestMailResult = z.strictObject({
  ok: z.literal(true),
  via: z.enum(["smtp", "outbox"]),
  message_id: z.string().nullable(),
});
export type TTestMailResult = z.infer<typeof ZTestMailResult>;

export const ZOutboxMail = z.strictObject({
  id: z.number(),
  to: z.string(),
  from: z.string(),
  subject: z.string(),
  text: z.string(),
  html: z.string().nullable(),
  message_id: z.string().nullable(),
  headers: z.record(z.string(), z.unknown()),
  created_at: ZIsoDate,
});
export type TOutboxMail = z.infer<typeof ZOutboxMail>;
export const ZOutboxPage = pageOf(ZOutboxMail);

export const ZMailbox = z.strictObject({
  id: z.number(),
  name: z.string(),
  source: z.enum(["admin", "env"]),
  host: z.string(),
  port: z.number(),
  tls: z.boolean(),
  username: z.string(),
  has_password: z.boolean(),
  folder: z.string(),
  queue_id: z.number().nullable(),
  is_enabled: z.boolean(),
  /** What its reader does: running, backoff (crashed, restarting), error, stopped. */
  state: z.enum(["stopped", "running", "backoff", "error"]),
  last_fetch_at: ZIsoDate.nullable(),
  last_error: z.string().nullable(),
  last_error_at: ZIsoDate.nullable(),
  uid_validity: z.number().nullable(),
  last_uid: z.number(),
});
export type TMailbox = z.infer<typeof ZMailbox>;
export const ZMailboxList = z.strictObject({ results: z.array(ZMailbox) });

export const ZMailboxTestResult = z.discriminatedUnion("ok", [
  z.strictObject({ ok: z.literal(true), uid_validity: z.number(), messages: z.number(), idle: z.boolean() }),
  z.strictObject({ ok: z.literal(false), error: z.string() }),
]);
export type TMailboxTestResult = z.infer<typeof ZMailboxTestResult>;

export const INBOUND_STATUSES = ["ticket", "reply", "handled", "ignored", "rejected"] as const;
export type TInboundStatus = (typeof INBOUND_STATUSES)[number];

/** A fetched mail and what became of it. */
export const ZInboundMail = z.strictObject({
  id: z.number(),
  mailbox_id: z.number().nullable(),
  uid: z.number(),
  message_id: z.string().nullable(),
  status: z.enum(INBOUND_STATUSES),
  reason: z.string().nullable(),
  from: z.string().nullable(),
  subject: z.string().nullable(),
  size: z.number(),
  ticket_id: z.number().nullable(),
  message_row_id: z.number().nullable(),
  raw_attachment_id: z.string().nullable(),
  rejected_attachments: z.array(
    z.object({ filename: z.string(), size: z.number(), reason: z.string() }).catchall(z.unknown()),
  ),
  created_at: ZIsoDate,
});
export type TInboundMail = z.infer<typeof ZInboundMail>;
export const ZInboundPage = pageOf(ZInboundMail);

// --- system ---------------------------------------------------------------------------------

/** `GET /api/health/`: 200 when the database answers, 503 (with Retry-After) when it does not. */
export const ZHealth = z.strictObject({
  status: z.enum(["ok", "degraded"]),
  database: z.enum(["ok", "down"]),
  database_kind: z.enum(["pglite", "postgres"]),
  uptime_seconds: z.number(),
});
export type THealth = z.infer<typeof ZHealth>;

/** `GET /api/system/status/` (admins, seed S3). */
export const ZSystemStatus = z.strictObject({
  status: z.literal("ok"),
  version: z.string(),
  database: z.strictObject({ kind: z.enum(["pglite", "postgres"]), reachable: z.boolean() }),
  realtime: z.strictObject({ bus: z.enum(["redis", "in-process"]) }),
  services: z.array(z.string()),
  uptime_seconds: z.number(),
  memory_rss_bytes: z.number(),
  counts: z.strictObject({
    tickets: z.number(),
    open_tickets: z.number(),
    archived_tickets: z.number(),
    active_users: z.number(),
  }),
  /** Background work per queue: waiting (or due for a retry), running, failed for good. */
  queues: z.array(
    z.strictObject({ name: z.string(), queued: z.number(), active: z.number(), failed: z.number() }),
  ),
});
export type TSystemStatus = z.infer<typeof ZSystemStatus>;
