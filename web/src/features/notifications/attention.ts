/**
 * Tab attention: the document title ("(N) latest — Helpdesk", blinking) and a favicon with the
 * unread count drawn on a canvas. Plain DOM, driven by `useTabAttention`.
 */
import { useEffect, useSyncExternalStore } from "react";

const BLINK_MS = 1000;

// ---- "seen": the newest notification id the user has acknowledged (opened the centre) -------
const listeners = new Set<() => void>();
let seenId = 0;
let seenStorageKey: string | null = null;

export function initSeen(userId: number): void {
  const key = `hd.notifications.seen.${userId}`;
  if (seenStorageKey === key) return;
  seenStorageKey = key;
  const stored = Number(window.localStorage.getItem(key) ?? 0);
  seenId = Number.isFinite(stored) ? stored : 0;
  for (const l of listeners) l();
}

/** Acknowledges every notification up to `id`: the title stops showing them. */
export function markSeen(id: number): void {
  if (id <= seenId) return;
  seenId = id;
  if (seenStorageKey) {
    try {
      window.localStorage.setItem(seenStorageKey, String(id));
    } catch {
      // Storage full or blocked: acknowledged for this tab only.
    }
  }
  for (const l of listeners) l();
}

export function useSeenId(): number {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => seenId,
  );
}

// ---- favicon -------------------------------------------------------------------------------
let originalFavicon: string | null = null;

function faviconLink(): HTMLLinkElement {
  let link = document.querySelector<HTMLLinkElement>("link[rel~='icon']");
  if (!link) {
    link = document.createElement("link");
    link.rel = "icon";
    document.head.appendChild(link);
  }
  originalFavicon ??= link.getAttribute("href") ?? "data:,";
  return link;
}

/** A 32×32 PNG data URL: a blue chat bubble with a red count badge. */
export function drawFavicon(count: number): string | null {
  const canvas = document.createElement("canvas");
  canvas.width = 32;
  canvas.height = 32;
  const ctx = canvas.getContext("2d");
  if (!ctx) return null;
  ctx.fillStyle = "#228be6";
  ctx.beginPath();
  ctx.roundRect(2, 4, 24, 19, 5);
  ctx.fill();
  ctx.beginPath();
  ctx.moveTo(8, 22);
  ctx.lineTo(8, 29);
  ctx.lineTo(15, 22);
  ctx.fill();
  const label = count > 99 ? "99" : String(count);
  ctx.fillStyle = "#fa5252";
  ctx.beginPath();
  ctx.arc(22, 11, 10, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = "#ffffff";
  ctx.font = `bold ${label.length > 1 ? 12 : 15}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText(label, 22, 12);
  try {
    return canvas.toDataURL("image/png");
  } catch {
    return null;
  }
}

function setFaviconCount(count: number): void {
  const link = faviconLink();
  const href = count > 0 ? drawFavicon(count) : null;
  link.setAttribute("href", href ?? originalFavicon ?? "data:,");
}

// ---- title --------------------------------------------------------------------------------
function useDocumentHidden(): boolean {
  return useSyncExternalStore(
    (l) => {
      document.addEventListener("visibilitychange", l);
      return () => document.removeEventListener("visibilitychange", l);
    },
    () => document.visibilityState === "hidden",
  );
}

/**
 * While some unread notification is newer than what the user acknowledged, the title reads
 * "(N) <newest title> — <base>" and alternates with the plain title every second; once the user
 * opens the notification centre (or the ticket, which marks it read) it goes back. While the tab
 * is hidden, unread notifications keep it blinking. The favicon shows the unread count.
 */
export function useTabAttention(input: {
  unreadCount: number;
  latestUnread: { id: number; title: string } | null;
  baseTitle: string;
}): void {
  const { unreadCount, latestUnread, baseTitle } = input;
  const seen = useSeenId();
  const hidden = useDocumentHidden();
  const pending = latestUnread !== null && unreadCount > 0 && latestUnread.id > seen;
  const alertTitle = pending ? `(${unreadCount}) ${latestUnread.title} — ${baseTitle}` : null;
  const blink = alertTitle !== null || (hidden && unreadCount > 0 && latestUnread !== null);
  const hiddenTitle = latestUnread ? `(${unreadCount}) ${latestUnread.title} — ${baseTitle}` : baseTitle;

  useEffect(() => {
    const attention = alertTitle ?? hiddenTitle;
    document.title = blink ? attention : baseTitle;
    if (!blink) return;
    let on = true;
    const timer = setInterval(() => {
      on = !on;
      document.title = on ? attention : baseTitle;
    }, BLINK_MS);
    return () => {
      clearInterval(timer);
      document.title = baseTitle;
    };
  }, [alertTitle, hiddenTitle, blink, baseTitle]);

  useEffect(() => {
    setFaviconCount(unreadCount);
  }, [unreadCount]);

  useEffect(() => () => setFaviconCount(0), []);
}

// ---- the notification centre is open: new arrivals show up in it, not as toasts ------------
let centreOpen = false;
export function setCentreOpen(open: boolean): void {
  centreOpen = open;
}
export function isCentreOpen(): boolean {
  return centreOpen;
}
