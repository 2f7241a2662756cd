import { z } from "zod";
import { LANGUAGES, ROLES, THEMES, TICKET_STATUSES } from "./enums.js";
import { LIMITS } from "./limits.js";

/** UTF-16 surrogates without their pair: no UTF-8 form (drivers turn them into U+FFFD, jsonb refuses them). */
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether PostgreSQL can store this text exactly as given: no NUL, no unpaired surrogate. */
export const isStorableText = (value: string): boolean =>
  !value.includes("\u0000") && !UNPAIRED_SURROGATE.test(value);

/**
 * The same text made storable, for input that must not be refused (an inbound e-mail): NULs
 * are dropped and unpaired surrogates become U+FFFD.
 */
export const toStorableText = (value: string): string =>
  isStorableText(value)
    ? value
    : value.replaceAll("\u0000", "").replace(new RegExp(UNPAIRED_SURROGATE.source, "g"), "\ufffd");

/**
 * A string PostgreSQL can store: the base of every text input (bodies, query strings, form
 * fields). Refused text is a 400 `validation.invalid` naming the field.
 */
export const pgText = () =>
  z.string().refine(isStorableText, { message: "must not contain NUL characters or unpaired surrogates" });

const trimmed = (max: number) => pgText().trim().min(1).max(max);

/** Largest value of PostgreSQL `integer` (int4): users, queues, categories, priorities, departments, mailboxes. */
export const INT4_MAX = 2_147_483_647;
/**
 * A positive whole number up to `max`: a JSON number, or decimal digits (paths, query strings,
 * form fields). " 1", "1e3", "0x10", true or null are not ids.
 */
const id = (max: number) =>
  z.preprocess(
    (v) => (typeof v === "string" && /^[0-9]{1,20}$/.test(v) ? Number(v) : v),
    z.number().int().positive().max(max),
  );
/** An id of an `integer` column. */
export const ZId = id(INT4_MAX);
/** An id of a `bigint` column (tickets, messages, events, notifications), as far as JSON numbers are exact. */
export const ZBigId = id(Number.MAX_SAFE_INTEGER);
export const ZEmail = pgText().trim().toLowerCase().max(LIMITS.emailMax).pipe(z.email());
export const ZPassword = pgText().min(LIMITS.passwordMin).max(LIMITS.passwordMax);

export const ZRegisterRequest = z.strictObject({
  email: ZEmail,
  password: pgText().max(LIMITS.passwordMax),
  name: trimmed(LIMITS.nameMax),
  language: z.enum(LANGUAGES).optional(),
});
export type TRegisterRequest = z.infer<typeof ZRegisterRequest>;

export const ZLoginRequest = z.strictObject({
  email: pgText().trim().toLowerCase().min(1).max(LIMITS.emailMax),
  password: pgText().min(1).max(LIMITS.passwordMax),
});
export type TLoginRequest = z.infer<typeof ZLoginRequest>;

export const ZUpdateProfileRequest = z.strictObject({
  name: trimmed(LIMITS.nameMax).optional(),
  language: z.enum(LANGUAGES).optional(),
  theme: z.enum(THEMES).optional(),
});
export type TUpdateProfileRequest = z.infer<typeof ZUpdateProfileRequest>;

export const ZChangePasswordRequest = z.strictObject({
  current_password: pgText().min(1).max(LIMITS.passwordMax),
  new_password: pgText().max(LIMITS.passwordMax),
});

export const ZCreateUserRequest = z.strictObject({
  email: ZEmail,
  name: trimmed(LIMITS.nameMax),
  password: pgText().max(LIMITS.passwordMax),
  role: z.enum(ROLES),
  department_ids: z.array(ZId).max(100).default([]),
  language: z.enum(LANGUAGES).optional(),
});
export type TCreateUserRequest = z.infer<typeof ZCreateUserRequest>;

export const ZUpdateUserRequest = z.strictObject({
  name: trimmed(LIMITS.nameMax).optional(),
  email: ZEmail.optional(),
  role: z.enum(ROLES).optional(),
  department_ids: z.array(ZId).max(100).optional(),
  language: z.enum(LANGUAGES).optional(),
  is_active: z.boolean().optional(),
  password: pgText().max(LIMITS.passwordMax).optional(),
});
export type TUpdateUserRequest = z.infer<typeof ZUpdateUserRequest>;

export const ZCreateTicketRequest = z.strictObject({
  title: trimmed(LIMITS.titleMax),
  description: pgText().max(LIMITS.descriptionMax).default(""),
  priority_id: ZId.optional(),
  category_id: ZId.optional(),
  queue_id: ZId.optional(),
  /** Staff may file on behalf of someone else. */
  requester_id: ZId.optional(),
  attachment_ids: z.array(z.uuid()).max(LIMITS.attachmentsPerItem).default([]),
});
export type TCreateTicketRequest = z.infer<typeof ZCreateTicketRequest>;

export const ZUpdateTicketRequest = z.strictObject({
  title: trimmed(LIMITS.titleMax).optional(),
  description: pgText().max(LIMITS.descriptionMax).optional(),
  status: z.enum(TICKET_STATUSES).optional(),
  priority_id: ZId.optional(),
  category_id: ZId.nullable().optional(),
  queue_id: ZId.optional(),
  assignee_id: ZId.nullable().optional(),
});
export type TUpdateTicketRequest = z.infer<typeof ZUpdateTicketRequest>;

export const ZAssignTicketRequest = z.strictObject({ executor_id: ZId });
export const ZExecuteTicketRequest = z.strictObject({
  comment: pgText().trim().max(LIMITS.messageMax).optional(),
});

export const ZCreateMessageRequest = z.strictObject({
  ticket_id: ZBigId,
  text: trimmed(LIMITS.messageMax),
  attachment_ids: z.array(z.uuid()).max(LIMITS.attachmentsPerItem).default([]),
});
export type TCreateMessageRequest = z.infer<typeof ZCreateMessageRequest>;
export const ZUpdateMessageRequest = z.strictObject({ text: trimmed(LIMITS.messageMax) });
/** PATCH: an empty body changes nothing. */
export const ZPatchMessageRequest = ZUpdateMessageRequest.partial();

const csvOf = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (typeof v === "string" ? v.split(",").filter(Boolean) : v), z.array(item).max(50));

export const ZTicketListQuery = z.strictObject({
  status: csvOf(z.enum(TICKET_STATUSES)).optional(),
  priority_id: csvOf(ZId).optional(),
  category_id: csvOf(ZId).optional(),
  queue_id: csvOf(ZId).optional(),
  assignee_id: z.union([z.literal("none"), z.literal("me"), ZId]).optional(),
  requester_id: ZId.optional(),
  created_from: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  created_to: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  q: pgText().trim().max(LIMITS.searchQueryMax).optional(),
  include_archived: z
    .enum(["true", "false", "1", "0"])
    .transform((v) => v === "true" || v === "1")
    .optional(),
  archived_only: z
    .enum(["true", "false", "1", "0"])
    .transform((v) => v === "true" || v === "1")
    .optional(),
  sort: z.enum(["-created", "created"]).default("-created"),
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(LIMITS.pageSizeDefault),
  cursor: pgText().max(200).optional(),
});
export type TTicketListQuery = z.infer<typeof ZTicketListQuery>;

export const ZNamedRef = z.strictObject({
  name_ru: trimmed(LIMITS.nameMax),
  name_en: trimmed(LIMITS.nameMax),
});

export const ZSettings = z.strictObject({
  allowed_email_domain: pgText()
    .trim()
    .toLowerCase()
    .regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/)
    .nullable(),
  /** Hours after closing before a ticket leaves the working views. */
  auto_hide_hours: z
    .number()
    .int()
    .min(0)
    .max(24 * 365),
  default_language: z.enum(LANGUAGES),
  organisation_name: pgText().trim().max(LIMITS.nameMax),
});
export type TSettings = z.infer<typeof ZSettings>;
export const ZUpdateSettingsRequest = ZSettings.partial();
