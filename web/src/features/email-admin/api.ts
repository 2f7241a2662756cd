import {
  type QueryKey,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from "@tanstack/react-query";
import { api, apiRequest } from "../../shared/api/client";
import type { Page } from "../../shared/api/types";

/** `GET /api/admin/email/smtp/`: the password is never returned, only `has_password`. */
export type SmtpSettings = {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  has_password: boolean;
  from: string;
  effective_from: string;
  delivery: "smtp" | "outbox";
  env_overrides: { smtp_url: boolean; mail_from: boolean };
};

/** `password`: omitted keeps the stored one, null clears it, a string replaces it. */
export type SmtpInput = {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  password?: string | null;
  from: string;
};

export type TestMailResult = { ok: true; via: "smtp" | "outbox"; message_id: string | null };

export type OutboxMail = {
  id: number;
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string | null;
  message_id: string | null;
  headers: Record<string, string> | null;
  created_at: string;
};

export type Mailbox = {
  id: number;
  name: string;
  source: "admin" | "env" | string;
  host: string;
  port: number;
  tls: boolean;
  username: string;
  has_password: boolean;
  folder: string;
  queue_id: number;
  is_enabled: boolean;
  last_fetch_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
};

export type MailboxInput = {
  name: string;
  host: string;
  port: number;
  tls: boolean;
  username: string;
  password?: string;
  folder: string;
  queue_id?: number;
  is_enabled: boolean;
};

export type MailboxTestResult =
  | { ok: true; uid_validity: number; messages: number; idle: boolean }
  | { ok: false; error: string };

export const INBOUND_STATUSES = ["ticket", "reply", "ignored", "rejected"] as const;
export type InboundStatus = (typeof INBOUND_STATUSES)[number];

export type InboundMail = {
  id: number;
  mailbox_id: number | null;
  uid: number | null;
  message_id: string | null;
  status: InboundStatus | string;
  reason: string | null;
  from: string | null;
  subject: string | null;
  size: number | null;
  ticket_id: number | null;
  rejected_attachments: { filename: string; size: number; reason: string }[] | null;
  created_at: string;
};

export const DELIVERY_STATUSES = ["queued", "sending", "sent", "failed", "retrying", "skipped"] as const;
export const DELIVERY_CHANNELS = ["email", "in_app", "web_push", "telegram"] as const;

export type Delivery = {
  id: number;
  event_id: number | null;
  ticket_id: number | null;
  user_id: number;
  user_email: string;
  channel: string;
  kind: string;
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  sent_at: string | null;
};

const BASE = "/api/admin/email";
const SMTP_KEY = ["email-admin", "smtp"] as const;
const MAILBOXES_KEY = ["email-admin", "mailboxes"] as const;

export function useSmtpSettings() {
  return useQuery({
    queryKey: SMTP_KEY,
    queryFn: ({ signal }) => api.get<SmtpSettings>(`${BASE}/smtp/`, undefined, signal),
  });
}

export function useSaveSmtp() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: SmtpInput) => apiRequest<SmtpSettings>(`${BASE}/smtp/`, { method: "PUT", body }),
    onSuccess: (settings) => queryClient.setQueryData(SMTP_KEY, settings),
  });
}

export function useSendTestMail() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (to: string) => api.post<TestMailResult>(`${BASE}/test/`, { to }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["email-admin", "outbox"] }),
  });
}

/** A cursor-paged admin log (`{ results, next }`), newest first. */
function usePagedLog<T>(key: QueryKey, path: string, filters: Record<string, string | undefined>) {
  return useInfiniteQuery({
    queryKey: [...key, filters],
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<T>>(path, { ...filters, cursor: pageParam, limit: 50 }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next ?? undefined,
  });
}

export function useOutbox() {
  return usePagedLog<OutboxMail>(["email-admin", "outbox"], `${BASE}/outbox/`, {});
}

export function useInboundLog(filters: { status?: string; mailbox_id?: string }) {
  return usePagedLog<InboundMail>(["email-admin", "inbound"], `${BASE}/inbound/`, filters);
}

export function useDeliveryLog(filters: { status?: string; channel?: string }) {
  return usePagedLog<Delivery>(
    ["email-admin", "deliveries"],
    "/api/admin/notifications/deliveries/",
    filters,
  );
}

export function useMailboxes() {
  return useQuery({
    queryKey: MAILBOXES_KEY,
    queryFn: ({ signal }) => api.get<{ results: Mailbox[] }>(`${BASE}/mailboxes/`, undefined, signal),
    select: (data) => data.results,
  });
}

export function useSaveMailbox() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id?: number; body: Partial<MailboxInput> }) =>
      id === undefined
        ? api.post<Mailbox>(`${BASE}/mailboxes/`, body)
        : api.patch<Mailbox>(`${BASE}/mailboxes/${id}/`, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: MAILBOXES_KEY }),
  });
}

export function useDeleteMailbox() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api.delete<void>(`${BASE}/mailboxes/${id}/`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: MAILBOXES_KEY }),
  });
}

export function useTestMailbox() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api.post<MailboxTestResult>(`${BASE}/mailboxes/${id}/test/`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: MAILBOXES_KEY }),
  });
}
