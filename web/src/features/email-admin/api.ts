import {
  NOTIFICATION_CHANNELS,
  type TDelivery,
  type TDeliveryStatus,
  type TInboundMail,
  type TInboundStatus,
  type TMailbox,
  type TMailboxTestResult,
  type TOutboxMail,
  type TSmtpSettings,
  type TTestMailResult,
} from "@helpdesk/contracts";
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
export type SmtpSettings = TSmtpSettings;

/** `password`: omitted keeps the stored one, null clears it, a string replaces it. */
export type SmtpInput = {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  password?: string | null;
  from: string;
};

export type TestMailResult = TTestMailResult;

export type OutboxMail = TOutboxMail;

export type Mailbox = TMailbox;

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

export type MailboxTestResult = TMailboxTestResult;

// The browser bundle takes only enums and limits from contracts at run time: the lists are
// repeated here, and `satisfies` keeps them in step with the contracts types.
export const INBOUND_STATUSES = [
  "ticket",
  "reply",
  "handled",
  "ignored",
  "rejected",
] as const satisfies readonly TInboundStatus[];
export type InboundStatus = TInboundStatus;
export type InboundMail = TInboundMail;

export const DELIVERY_STATUSES = [
  "queued",
  "sending",
  "sent",
  "failed",
  "retrying",
  "skipped",
] as const satisfies readonly TDeliveryStatus[];
export const DELIVERY_CHANNELS = NOTIFICATION_CHANNELS;
export type Delivery = TDelivery;

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
