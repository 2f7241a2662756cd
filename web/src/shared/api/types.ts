import type { TLanguage, TRole, TTheme, TTicketStatus } from "@helpdesk/contracts";

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

export type Attachment = {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  url: string;
};

export type Ticket = {
  id: number;
  title: string;
  description: string;
  status: TTicketStatus;
  priority: Ref;
  category: Ref | null;
  queue: Ref;
  requester: PersonRef;
  assignee: PersonRef | null;
  source: string;
  created_at: string;
  updated_at: string;
  first_response_at: string | null;
  closed_at: string | null;
  archived_at: string | null;
  attachments?: Attachment[];
};

export type TicketMessage = {
  id: number | string;
  ticket_id: number;
  author: { id: number; name: string; role: TRole } | null;
  text: string;
  is_internal: boolean;
  created_at: string;
  attachments: Attachment[];
};

export type TicketEvent = {
  id: number | string;
  type: string;
  actor: { id: number; name: string } | null;
  data: Record<string, unknown> | null;
  created_at: string;
};

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
