import type { QueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { RealtimeClient, type RealtimeStatus, type RealtimeViewer } from "./realtime-client";

let shared: RealtimeClient | null = null;
let users = 0;

/** The tab's one real-time client (created on first use). */
export function getRealtimeClient(): RealtimeClient {
  shared ??= new RealtimeClient();
  return shared;
}

/** Events arriving together (one request's changes, a catch-up) cause one refetch, not many. */
const INVALIDATE_DELAY_MS = 150;

/**
 * Marks queries stale and refetches the ones on screen. A query still doing its first fetch is
 * cancelled first: TanStack Query would otherwise join that fetch, which may have read the data
 * before the change, and the change would never show.
 */
async function refreshQueries(queryClient: QueryClient, queryKey: readonly unknown[]) {
  const loading = queryClient
    .getQueryCache()
    .findAll({ queryKey })
    .filter((q) => q.state.fetchStatus === "fetching" && q.state.data === undefined);
  await Promise.all(loading.map((q) => queryClient.cancelQueries({ queryKey: q.queryKey, exact: true })));
  await queryClient.invalidateQueries({ queryKey });
}

/**
 * Keeps the socket open while mounted (put it once in the signed-in app shell) and refreshes
 * TanStack Query data when tickets change: the lists (`["tickets", …]`, which the board uses
 * too) and the changed ticket (`["ticket", id]` and by prefix its `messages` and `history`).
 * Returns the connection status.
 */
export function useRealtimeConnection(
  queryClient: QueryClient,
  options: { onNotification?: (notification: unknown) => void } = {},
): RealtimeStatus {
  const client = getRealtimeClient();
  const [status, setStatus] = useState<RealtimeStatus>(client.status);
  const onNotification = useRef(options.onNotification);
  onNotification.current = options.onNotification;

  useEffect(() => {
    users += 1;
    client.connect();
    client.subscribe(["tickets"]);

    const dirtyTickets = new Set<number>();
    let everything = false;
    let caughtUpOnce = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const flush = () => {
      timer = null;
      if (everything) {
        void refreshQueries(queryClient, ["ticket"]);
      } else {
        for (const id of dirtyTickets) void refreshQueries(queryClient, ["ticket", id]);
      }
      void refreshQueries(queryClient, ["tickets"]);
      dirtyTickets.clear();
      everything = false;
    };
    const schedule = () => {
      timer ??= setTimeout(flush, INVALIDATE_DELAY_MS);
    };

    const stops = [
      client.onStatus(setStatus),
      client.on("event", (e) => {
        if (e.event_type === "deleted") queryClient.removeQueries({ queryKey: ["ticket", e.ticket_id] });
        else dirtyTickets.add(e.ticket_id);
        schedule();
      }),
      // Too much was missed to replay: refetch whatever is on screen.
      client.on("resync", () => {
        everything = true;
        schedule();
      }),
      // The first subscription starts "from now": whatever changed between the page's first
      // fetch and that moment is picked up by one refetch. Later reconnects replay with `since`.
      client.on("subscribed", () => {
        if (caughtUpOnce) return;
        caughtUpOnce = true;
        everything = true;
        schedule();
      }),
      client.on("notification", (m) => {
        void refreshQueries(queryClient, ["notifications"]);
        onNotification.current?.(m.notification);
      }),
    ];
    const online = () => client.reconnectNow();
    const visible = () => {
      if (document.visibilityState === "visible") client.reconnectNow();
    };
    window.addEventListener("online", online);
    document.addEventListener("visibilitychange", visible);

    return () => {
      for (const stop of stops) stop();
      window.removeEventListener("online", online);
      document.removeEventListener("visibilitychange", visible);
      if (timer) clearTimeout(timer);
      users -= 1;
      if (users === 0) client.close();
    };
  }, [client, queryClient]);

  return status;
}

/** A typing indicator disappears this long after the last `typing` signal. */
const TYPING_TTL_MS = 4000;
/** sendTyping() sends at most this often. */
const TYPING_THROTTLE_MS = 2000;

export type TicketTyper = RealtimeViewer & { isInternal: boolean };

/**
 * Presence on one ticket: announces that this tab views it while mounted and returns the
 * other people viewing it, who is typing (internal-note typing reaches staff only), and
 * `sendTyping(isInternal)` to call from the reply box's onChange (throttled here).
 */
export function useTicketPresence(ticketId: number | null | undefined): {
  viewers: RealtimeViewer[];
  typers: TicketTyper[];
  sendTyping: (isInternal?: boolean) => void;
} {
  const client = getRealtimeClient();
  const [viewers, setViewers] = useState<RealtimeViewer[]>([]);
  const [typers, setTypers] = useState<TicketTyper[]>([]);
  const lastTypingSent = useRef(0);

  useEffect(() => {
    if (!ticketId) return;
    const expiries = new Map<number, ReturnType<typeof setTimeout>>();
    setViewers([]);
    setTypers([]);
    client.view(ticketId);
    const stops = [
      client.on("presence", (m) => {
        if (m.ticket_id !== ticketId) return;
        setViewers(m.viewers.filter((v) => v.id !== client.userId));
      }),
      client.on("typing", (m) => {
        if (m.ticket_id !== ticketId || m.user.id === client.userId) return;
        setTypers((list) => [
          ...list.filter((t) => t.id !== m.user.id),
          { ...m.user, isInternal: m.is_internal },
        ]);
        const previous = expiries.get(m.user.id);
        if (previous) clearTimeout(previous);
        expiries.set(
          m.user.id,
          setTimeout(() => {
            expiries.delete(m.user.id);
            setTypers((list) => list.filter((t) => t.id !== m.user.id));
          }, TYPING_TTL_MS),
        );
      }),
    ];
    return () => {
      for (const stop of stops) stop();
      for (const t of expiries.values()) clearTimeout(t);
      client.unview(ticketId);
    };
  }, [client, ticketId]);

  const sendTyping = useCallback(
    (isInternal = false) => {
      if (!ticketId) return;
      const now = Date.now();
      if (now - lastTypingSent.current < TYPING_THROTTLE_MS) return;
      lastTypingSent.current = now;
      client.typing(ticketId, isInternal);
    },
    [client, ticketId],
  );

  return { viewers, typers, sendTyping };
}
