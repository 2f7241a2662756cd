import type {
  TAttachment,
  TLanguage,
  TMessage,
  TTicket,
  TTicketHistoryEvent,
  TUser,
} from "@helpdesk/contracts";

/** A user as the API shows them (contracts); `email` is null for a channel-only contact. */
export type User = TUser;

export type Page<T> = { results: T[]; next: string | null };

export type Ref = { id: number; slug: string; name: string };
export type PersonRef = { id: number; name: string; email: string };

/** Ticket responses are defined once, in contracts (server-side zod schemas). */
export type Attachment = TAttachment;
export type Ticket = TTicket;
export type TicketMessage = TMessage;
export type TicketEvent = TTicketHistoryEvent;

export type CatalogKind = "queues" | "categories" | "priorities" | "departments";

export type CatalogItem = {
  id: number;
  slug: string;
  name: string;
  name_ru: string;
  name_en: string;
  is_active: boolean;
  department_id?: number | null;
  rank?: number;
};

export type Executor = {
  id: number;
  name: string;
  email: string;
  department_ids: number[];
  open_tickets: number;
};

export type PublicSettings = {
  allowed_email_domain: string | null;
  organisation_name: string;
  default_language: TLanguage;
};

export type Settings = PublicSettings & { auto_hide_hours: number };
