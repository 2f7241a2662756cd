import type {
  TAttachment,
  TLanguage,
  TMessage,
  TRole,
  TTheme,
  TTicket,
  TTicketHistoryEvent,
} from "@helpdesk/contracts";

export type User = {
  id: number;
  email: string;
  name: string;
  role: TRole;
  language: TLanguage;
  theme: TTheme;
  is_active: boolean;
  is_guest: boolean;
  department_ids: number[];
  created_at: string;
  last_login_at: string | null;
};

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
