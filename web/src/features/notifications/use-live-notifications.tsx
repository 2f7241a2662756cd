import { Text } from "@mantine/core";
import { notifications as toasts } from "@mantine/notifications";
import { useCallback, useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import { useLocation, useNavigate } from "react-router";
import {
  type AppNotification,
  isAppNotification,
  useMarkRead,
  usePreferences,
  useUnreadNotifications,
} from "./api";
import { initSeen, isCentreOpen, markSeen, useTabAttention } from "./attention";
import { registerServiceWorker, showSystemNotification } from "./browser";
import { playChime, unlockAudioOnFirstGesture } from "./sound";

const BASE_TITLE = typeof document === "undefined" ? "Helpdesk" : document.title || "Helpdesk";

/** Opens a notification: marks it read and acknowledged, then shows its ticket. */
export function useOpenNotification() {
  const navigate = useNavigate();
  const markRead = useMarkRead();
  return useCallback(
    (n: Pick<AppNotification, "id" | "ticket_id" | "read_at">) => {
      markSeen(n.id);
      if (!n.read_at) markRead.mutate([n.id]);
      if (n.ticket_id) navigate(`/tickets/${n.ticket_id}`);
    },
    [markRead, navigate],
  );
}

/**
 * Everything the signed-in shell does with notifications: tab title and favicon, the service
 * worker (and its "open this ticket" messages), and — returned as the socket's onNotification —
 * the toast, the chime and, in a hidden tab, a system notification.
 */
export function useLiveNotifications(userId: number): (payload: unknown) => void {
  const { t } = useTranslation();
  const location = useLocation();
  const navigate = useNavigate();
  const unread = useUnreadNotifications();
  const preferences = usePreferences();
  const open = useOpenNotification();
  const state = useRef({ pathname: location.pathname, sound: true, open, t });
  state.current = { pathname: location.pathname, sound: preferences.data?.sound ?? true, open, t };

  initSeen(userId);
  const latest = unread.data?.results[0] ?? null;
  useTabAttention({
    unreadCount: unread.data?.unread_count ?? 0,
    latestUnread: latest ? { id: latest.id, title: latest.title } : null,
    baseTitle: BASE_TITLE,
  });

  useEffect(() => unlockAudioOnFirstGesture(), []);

  useEffect(() => {
    void registerServiceWorker();
    if (!("serviceWorker" in navigator)) return;
    // A click on a push notification while this tab is open: the worker asks us to navigate.
    const onMessage = (event: MessageEvent) => {
      const data = event.data as { type?: string; url?: string } | null;
      if (data?.type === "open" && typeof data.url === "string" && data.url.startsWith("/"))
        navigate(data.url);
    };
    navigator.serviceWorker.addEventListener("message", onMessage);
    return () => navigator.serviceWorker.removeEventListener("message", onMessage);
  }, [navigate]);

  return useCallback((payload: unknown) => {
    if (!isAppNotification(payload)) return;
    const n = payload;
    const { pathname, sound, open: openIt, t: tr } = state.current;
    const hidden = document.visibilityState === "hidden";
    const onItsTicket = n.ticket_id !== null && pathname === `/tickets/${n.ticket_id}`;
    if (sound) playChime();
    if (hidden) {
      void showSystemNotification({
        title: n.title,
        body: n.body,
        ticketId: n.ticket_id,
        onClick: () => openIt(n),
      });
    }
    if (onItsTicket && !hidden) return;
    if (isCentreOpen() && !hidden) {
      // It appears in the open centre: seen, no toast on top of the list.
      markSeen(n.id);
      return;
    }
    toasts.show({
      id: `hd-notification-${n.id}`,
      title: n.title,
      message: (
        <>
          <Text size="sm" lineClamp={3}>
            {n.body}
          </Text>
          {n.ticket_id ? (
            <Text size="xs" c="blue" mt={4}>
              {tr("notifications.openTicket")}
            </Text>
          ) : null}
        </>
      ),
      autoClose: 6000,
      style: n.ticket_id ? { cursor: "pointer" } : undefined,
      onClick: n.ticket_id
        ? () => {
            toasts.hide(`hd-notification-${n.id}`);
            openIt(n);
          }
        : undefined,
    });
  }, []);
}

/** On a ticket page: its unread notifications count as read while the tab is visible. */
export function useReadTicketNotifications(ticketId: number): void {
  const unread = useUnreadNotifications();
  const markRead = useMarkRead();
  const pending = useRef(new Set<number>());
  const ids =
    unread.data?.results
      .filter((n) => n.ticket_id === ticketId && !pending.current.has(n.id))
      .map((n) => n.id) ?? [];
  const key = ids.join(",");
  const mutate = markRead.mutate;

  useEffect(() => {
    if (!key) return;
    const run = () => {
      if (document.visibilityState !== "visible") return false;
      const list = key.split(",").map(Number);
      for (const id of list) {
        pending.current.add(id);
        markSeen(id);
      }
      mutate(list);
      return true;
    };
    if (run()) return;
    const onVisible = () => {
      if (run()) document.removeEventListener("visibilitychange", onVisible);
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => document.removeEventListener("visibilitychange", onVisible);
  }, [key, mutate]);
}
