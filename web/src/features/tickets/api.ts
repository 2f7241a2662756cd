import type { TTicketStatus } from "@helpdesk/contracts";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, createIdempotencyKey } from "../../shared/api/client";
import type { Page, Ticket, TicketEvent, TicketMessage } from "../../shared/api/types";

/** Filters as sent to GET /api/tickets/ (arrays become comma lists). */
export type TicketFilters = {
  status?: string[];
  priority_id?: string[];
  queue_id?: string;
  category_id?: string;
  assignee_id?: string;
  requester_id?: string;
  q?: string;
  include_archived?: boolean;
  archived_only?: boolean;
  sort?: "-created" | "created";
  limit?: number;
};

export const ticketsKey = (filters: TicketFilters) => ["tickets", filters] as const;
export const ticketKey = (id: number) => ["ticket", id] as const;
export const messagesKey = (id: number) => ["ticket", id, "messages"] as const;
export const historyKey = (id: number) => ["ticket", id, "history"] as const;

export function fetchTickets(filters: TicketFilters, cursor?: string, signal?: AbortSignal) {
  return api.get<Page<Ticket>>("/api/tickets/", { ...filters, cursor }, signal);
}

/** One list of tickets, paged with the server's cursor. */
export function useTicketList(filters: TicketFilters, enabled = true) {
  return useInfiniteQuery({
    queryKey: ticketsKey(filters),
    queryFn: ({ pageParam, signal }) => fetchTickets(filters, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next ?? undefined,
    enabled,
  });
}

export function useTicket(id: number) {
  return useQuery({
    queryKey: ticketKey(id),
    queryFn: () => api.get<Ticket>(`/api/tickets/${id}/`),
    retry: (count, error) => count < 2 && !(error instanceof Error && "status" in error),
  });
}

/** A reply still on its way to the customer's channel is looked at again until it settles. */
const PENDING_DELIVERY_POLL_MS = 5000;

export function useTicketMessages(id: number) {
  return useQuery({
    queryKey: messagesKey(id),
    queryFn: () => api.get<Page<TicketMessage>>(`/api/tickets/${id}/messages/`),
    select: (page) => page.results,
    refetchInterval: (query) =>
      query.state.data?.results.some(
        (m) => m.delivery?.state === "queued" || m.delivery?.state === "retrying",
      )
        ? PENDING_DELIVERY_POLL_MS
        : false,
  });
}

/** Staff: send a reply that did not reach the customer again. */
export function useRetryDelivery() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ messageId }: { messageId: number; ticketId: number }) =>
      api.post<TicketMessage>(`/api/messages/${messageId}/retry-delivery/`, {}),
    onSuccess: (_message, { ticketId }) => {
      void queryClient.invalidateQueries({ queryKey: messagesKey(ticketId) });
    },
  });
}

export function useTicketHistory(id: number) {
  return useQuery({
    queryKey: historyKey(id),
    queryFn: () => api.get<Page<TicketEvent>>(`/api/tickets/${id}/history/`),
    select: (page) => page.results,
  });
}

export type NewTicket = {
  title: string;
  description: string;
  priority_id?: number;
  category_id?: number;
  queue_id?: number;
  attachment_ids: string[];
};

/** Creates a ticket; the idempotency key is per form submission so a retried request is not doubled. */
export function useCreateTicket() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ body, idempotencyKey }: { body: NewTicket; idempotencyKey: string }) =>
      api.post<Ticket>("/api/tickets/", body, { "Idempotency-Key": idempotencyKey }),
    onSuccess: (ticket) => {
      queryClient.setQueryData(ticketKey(ticket.id), ticket);
      void queryClient.invalidateQueries({ queryKey: ["tickets"] });
    },
  });
}

export type TicketPatch = {
  title?: string;
  description?: string;
  status?: TTicketStatus;
  priority_id?: number;
  category_id?: number | null;
  queue_id?: number;
  assignee_id?: number | null;
};

function useTicketChanged() {
  const queryClient = useQueryClient();
  return (ticket: Ticket) => {
    queryClient.setQueryData(ticketKey(ticket.id), ticket);
    void queryClient.invalidateQueries({ queryKey: historyKey(ticket.id) });
    void queryClient.invalidateQueries({ queryKey: ["tickets"] });
    void queryClient.invalidateQueries({ queryKey: ["executors"] });
  };
}

export function useUpdateTicket() {
  const changed = useTicketChanged();
  return useMutation({
    mutationFn: ({ id, patch }: { id: number; patch: TicketPatch }) =>
      api.patch<Ticket>(`/api/tickets/${id}/`, patch),
    onSuccess: changed,
  });
}

export function useAssignTicket() {
  const changed = useTicketChanged();
  return useMutation({
    mutationFn: ({ id, executorId }: { id: number; executorId: number }) =>
      api.post<Ticket>(`/api/tickets/${id}/assign/`, { executor_id: executorId }),
    onSuccess: (ticket) => {
      if (ticket && typeof ticket === "object" && "id" in ticket) {
        changed(ticket);
      }
    },
  });
}

export function useExecuteTicket() {
  const changed = useTicketChanged();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, comment }: { id: number; comment?: string }) =>
      api.post<Ticket>(`/api/tickets/${id}/execute/`, comment ? { comment } : {}),
    onSuccess: (ticket, { id }) => {
      if (ticket && typeof ticket === "object" && "id" in ticket) {
        changed(ticket);
      } else {
        void queryClient.invalidateQueries({ queryKey: ticketKey(id) });
      }
      void queryClient.invalidateQueries({ queryKey: messagesKey(id) });
    },
  });
}

export function usePostMessage() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({
      ticketId,
      text,
      attachmentIds,
      internal,
    }: {
      ticketId: number;
      text: string;
      attachmentIds: string[];
      internal: boolean;
    }) =>
      api.post<TicketMessage>(
        internal ? "/api/notes/" : "/api/messages/",
        { ticket_id: ticketId, text, attachment_ids: attachmentIds },
        { "Idempotency-Key": createIdempotencyKey() },
      ),
    onSuccess: (_message, { ticketId }) => {
      void queryClient.invalidateQueries({ queryKey: messagesKey(ticketId) });
      void queryClient.invalidateQueries({ queryKey: historyKey(ticketId) });
      void queryClient.invalidateQueries({ queryKey: ticketKey(ticketId) });
    },
  });
}
