import {
  NOTIFICATION_CHANNELS,
  NOTIFICATION_KINDS,
  type TNotification,
  type TNotificationChannel,
  type TNotificationKind,
  type TNotificationPage,
  type TNotificationPreferences,
} from "@helpdesk/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, apiRequest } from "../../shared/api/client";

export { NOTIFICATION_CHANNELS, NOTIFICATION_KINDS, type TNotificationChannel, type TNotificationKind };

/** One notification as the API presents it (`ZNotification` in contracts). */
export type AppNotification = TNotification;
export type NotificationPage = TNotificationPage;
export type NotificationPreferences = TNotificationPreferences;

export const notificationsKey = ["notifications"] as const;
export const unreadKey = ["notifications", "unread"] as const;
export const listKey = ["notifications", "list"] as const;
export const preferencesKey = ["notifications", "preferences"] as const;

/** True when the value looks like a notification (the socket's payload is untyped). */
export function isAppNotification(value: unknown): value is AppNotification {
  const n = value as Partial<AppNotification> | null;
  return typeof n === "object" && n !== null && typeof n.id === "number" && typeof n.title === "string";
}

/** The unread notifications (newest first, the first 30) and the unread count: bell, title, favicon. */
export function useUnreadNotifications() {
  return useQuery({
    queryKey: unreadKey,
    queryFn: ({ signal }) =>
      api.get<NotificationPage>("/api/notifications/", { unread: "true", limit: 30 }, signal),
    staleTime: 30_000,
    // The socket invalidates on arrival; this only covers a socket that is down.
    refetchInterval: 120_000,
  });
}

/** Marks notifications read, updating the cached lists at once. */
export function useMarkRead() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (ids: number[]) =>
      Promise.all(ids.map((id) => api.post<AppNotification>(`/api/notifications/${id}/read/`))),
    onMutate: (ids) => {
      const now = new Date().toISOString();
      queryClient.setQueryData<NotificationPage>(unreadKey, (page) => {
        if (!page) return page;
        const results = page.results.filter((n) => !ids.includes(n.id));
        const removed = page.results.length - results.length;
        return { ...page, results, unread_count: Math.max(0, page.unread_count - removed) };
      });
      queryClient.setQueryData<{ pages: NotificationPage[]; pageParams: unknown[] }>(listKey, (data) =>
        data
          ? {
              ...data,
              pages: data.pages.map((p) => ({
                ...p,
                results: p.results.map((n) =>
                  ids.includes(n.id) && !n.read_at ? { ...n, read_at: now } : n,
                ),
              })),
            }
          : data,
      );
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: notificationsKey }),
  });
}

export function useMarkAllRead() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<{ updated: number }>("/api/notifications/read-all/"),
    onMutate: () => {
      queryClient.setQueryData<NotificationPage>(unreadKey, (page) =>
        page ? { ...page, results: [], unread_count: 0 } : page,
      );
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: notificationsKey }),
  });
}

export function usePreferences() {
  return useQuery({
    queryKey: preferencesKey,
    queryFn: () => api.get<NotificationPreferences>("/api/notifications/preferences/"),
    staleTime: 5 * 60_000,
  });
}

export function useSavePreferences() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (preferences: NotificationPreferences) =>
      apiRequest<NotificationPreferences>("/api/notifications/preferences/", {
        method: "PUT",
        body: preferences,
      }),
    onMutate: (preferences) => {
      queryClient.setQueryData(preferencesKey, preferences);
    },
    // The server answers with what it stored: the optimistic value already shows it. On an
    // error, later switches may have changed the cache since: reload it from the server.
    onError: () => queryClient.invalidateQueries({ queryKey: preferencesKey }),
  });
}
