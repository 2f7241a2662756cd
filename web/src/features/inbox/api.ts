import type { TChat, TChatMessage, TChatMessagePage, TChatPage } from "@helpdesk/contracts";
import { LIMITS } from "@helpdesk/contracts";
import {
  type InfiniteData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from "@tanstack/react-query";
import { useEffect } from "react";
import { api } from "../../shared/api/client";
import { getRealtimeClient } from "../../shared/realtime/use-realtime";

/** Which chats the list shows: the API's `assignee=me|none`, or every chat the caller sees. */
export type ChatFilter = "mine" | "unassigned" | "all";

export const inboxKey = ["inbox"] as const;
export const chatListKey = (filter: ChatFilter) => ["inbox", "chats", filter] as const;
export const chatKey = (id: number) => ["inbox", "chat", id] as const;
export const chatMessagesKey = (id: number) => ["inbox", "messages", id] as const;
export const unreadTotalKey = ["inbox", "unread"] as const;

/** The fallback while the socket has no chat frames: lists and the open chat are fetched again this often. */
export const INBOX_POLL_MS = 15_000;
/** A reply still on its way through the channel is looked at again until it settles. */
const PENDING_DELIVERY_POLL_MS = 5000;

const ASSIGNEE: Record<ChatFilter, string | undefined> = { mine: "me", unassigned: "none", all: undefined };

/** One list of chats, newest activity first, paged with the server's cursor. */
export function useChatList(filter: ChatFilter) {
  return useInfiniteQuery({
    queryKey: chatListKey(filter),
    queryFn: ({ pageParam, signal }) =>
      api.get<TChatPage>("/api/chats/", { assignee: ASSIGNEE[filter], cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next ?? undefined,
    refetchInterval: INBOX_POLL_MS,
  });
}

/** Finds a chat in the loaded lists (to show the header at once while the chat itself loads). */
function findCachedChat(queryClient: ReturnType<typeof useQueryClient>, id: number): TChat | undefined {
  for (const [, data] of queryClient.getQueriesData<InfiniteData<TChatPage>>({
    queryKey: ["inbox", "chats"],
  })) {
    const chat = data?.pages.flatMap((p) => p.results).find((c) => c.id === id);
    if (chat) return chat;
  }
  return undefined;
}

export function useChat(id: number | null) {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: chatKey(id ?? 0),
    queryFn: ({ signal }) => api.get<TChat>(`/api/chats/${id}/`, undefined, signal),
    enabled: id !== null,
    placeholderData: id === null ? undefined : findCachedChat(queryClient, id),
    refetchInterval: INBOX_POLL_MS,
    retry: (count, error) => count < 2 && !(error instanceof Error && "status" in error),
  });
}

/** A chat's messages; the API pages newest first, `next` going to older ones. */
export function useChatMessages(chatId: number | null) {
  return useInfiniteQuery({
    queryKey: chatMessagesKey(chatId ?? 0),
    queryFn: ({ pageParam, signal }) =>
      api.get<TChatMessagePage>("/api/messages/by_chat/", { chat_id: chatId, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next ?? undefined,
    enabled: chatId !== null,
    refetchInterval: (query) =>
      query.state.data?.pages[0]?.results.some(
        (m) => m.delivery_state === "queued" || m.delivery_state === "retrying",
      )
        ? PENDING_DELIVERY_POLL_MS
        : INBOX_POLL_MS,
  });
}

/** The oldest-first list the conversation shows, from the newest-first pages. */
export function messagesOldestFirst(data: InfiniteData<TChatMessagePage> | undefined): TChatMessage[] {
  if (!data) return [];
  return data.pages.flatMap((p) => p.results).reverse();
}

/** Puts a changed chat into every cached list and its own entry. */
function useChatChanged() {
  const queryClient = useQueryClient();
  return (chat: TChat) => {
    queryClient.setQueryData(chatKey(chat.id), chat);
    queryClient.setQueriesData<InfiniteData<TChatPage>>({ queryKey: ["inbox", "chats"] }, (data) =>
      data
        ? {
            ...data,
            pages: data.pages.map((p) => ({
              ...p,
              results: p.results.map((c) => (c.id === chat.id ? chat : c)),
            })),
          }
        : data,
    );
    void queryClient.invalidateQueries({ queryKey: unreadTotalKey });
  };
}

/** Marks a chat read up to its latest message. */
export function useMarkChatRead() {
  const changed = useChatChanged();
  return useMutation({
    mutationFn: (chatId: number) => api.post<TChat>(`/api/chats/${chatId}/read/`, {}),
    onSuccess: changed,
  });
}

export function useAssignChat() {
  const changed = useChatChanged();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ chatId, userId }: { chatId: number; userId: number }) =>
      api.post<TChat>(`/api/chats/${chatId}/assign/`, { user_id: userId }),
    onSuccess: (chat) => {
      changed(chat);
      // "Mine" and "Unassigned" change membership: fetch them again.
      void queryClient.invalidateQueries({ queryKey: ["inbox", "chats"] });
      void queryClient.invalidateQueries({ queryKey: ["executors"] });
    },
  });
}

/** Replies in a chat: `messageId` is any of its messages; `mediaPath` what `POST /api/upload/` answered. */
export function useReplyToChat() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({
      messageId,
      text,
      mediaPath,
    }: {
      chatId: number;
      messageId: number;
      text: string;
      mediaPath?: string;
    }) =>
      api.post<TChatMessage>(
        `/api/messages/${messageId}/reply/`,
        mediaPath ? { text, media_path: mediaPath } : { text },
      ),
    onSuccess: (_message, { chatId }) => {
      void queryClient.invalidateQueries({ queryKey: chatMessagesKey(chatId) });
      void queryClient.invalidateQueries({ queryKey: chatKey(chatId) });
      void queryClient.invalidateQueries({ queryKey: ["inbox", "chats"] });
    },
  });
}

/**
 * The total of unread messages for the nav badge: the unread chats' counts (one page of the
 * largest size; `more` when there are further pages).
 */
export function useUnreadTotal(enabled: boolean) {
  return useQuery({
    queryKey: unreadTotalKey,
    queryFn: ({ signal }) =>
      api.get<TChatPage>("/api/chats/", { unread: true, limit: LIMITS.pageSizeMax }, signal),
    select: (page) => ({
      total: page.results.reduce((sum, chat) => sum + chat.unread_count, 0),
      more: page.next !== null,
    }),
    enabled,
    refetchInterval: INBOX_POLL_MS,
  });
}

/** Events arriving together (one request's changes) cause one refetch, not many. */
const REFRESH_DELAY_MS = 200;

/**
 * Refreshes the inbox when ticket events arrive on the app socket: the lists and the unread
 * total on any event (a new chat starts with a new ticket), the open conversation when the
 * event is about one of its tickets. The socket's chat frames are not relied on yet.
 */
export function useInboxLiveUpdates(openChatTicketIds: () => ReadonlySet<number>, openChatId: number | null) {
  const queryClient = useQueryClient();
  useEffect(() => {
    const client = getRealtimeClient();
    let timer: ReturnType<typeof setTimeout> | null = null;
    let conversation = false;
    const flush = () => {
      timer = null;
      void queryClient.invalidateQueries({ queryKey: ["inbox", "chats"] });
      void queryClient.invalidateQueries({ queryKey: unreadTotalKey });
      if (conversation && openChatId !== null) {
        void queryClient.invalidateQueries({ queryKey: chatKey(openChatId) });
        void queryClient.invalidateQueries({ queryKey: chatMessagesKey(openChatId) });
      }
      conversation = false;
    };
    const schedule = () => {
      timer ??= setTimeout(flush, REFRESH_DELAY_MS);
    };
    const stops = [
      client.on("event", (e) => {
        if (openChatTicketIds().has(e.ticket_id)) conversation = true;
        schedule();
      }),
      client.on("resync", () => {
        conversation = true;
        schedule();
      }),
    ];
    return () => {
      for (const stop of stops) stop();
      if (timer) clearTimeout(timer);
    };
  }, [queryClient, openChatTicketIds, openChatId]);
}
