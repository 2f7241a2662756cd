/**
 * Browser-side delivery: the service worker (`/sw.js`), system notifications through the
 * Notification API, and web push subscriptions. Nothing here asks for permission by itself:
 * only the buttons in the profile call `requestSystemPermission` / `enablePush`.
 */
import { api, apiRequest } from "../../shared/api/client";

const SW_URL = "/sw.js";

export const supportsNotifications = (): boolean => typeof window !== "undefined" && "Notification" in window;
export const supportsPush = (): boolean =>
  typeof navigator !== "undefined" &&
  "serviceWorker" in navigator &&
  typeof window !== "undefined" &&
  "PushManager" in window &&
  window.isSecureContext;

export type TPermission = NotificationPermission | "unsupported";

export function systemPermission(): TPermission {
  return supportsNotifications() ? Notification.permission : "unsupported";
}

/** Asks for the Notification permission (call from a click only). */
export async function requestSystemPermission(): Promise<TPermission> {
  if (!supportsNotifications()) return "unsupported";
  return Notification.requestPermission();
}

let registration: Promise<ServiceWorkerRegistration | null> | null = null;

/** Registers the service worker once per tab; null where service workers are unavailable. */
export function registerServiceWorker(): Promise<ServiceWorkerRegistration | null> {
  if (typeof navigator === "undefined" || !("serviceWorker" in navigator) || !window.isSecureContext) {
    return Promise.resolve(null);
  }
  registration ??= navigator.serviceWorker.register(SW_URL, { scope: "/" }).catch(() => null);
  return registration;
}

/**
 * Shows a system notification (tab hidden, permission granted). Through the service worker when
 * there is one, so the tag matches the push notification for the same ticket and one replaces
 * the other instead of both showing.
 */
export async function showSystemNotification(input: {
  title: string;
  body: string;
  ticketId: number | null;
  onClick: () => void;
}): Promise<void> {
  if (systemPermission() !== "granted") return;
  const url = input.ticketId ? `/tickets/${input.ticketId}` : "/";
  const tag = input.ticketId ? `hd-ticket-${input.ticketId}` : "hd-notification";
  const reg = await registerServiceWorker();
  if (reg) {
    try {
      await reg.showNotification(input.title, { body: input.body, tag, data: { url } });
      return;
    } catch {
      // Fall back to a page notification below.
    }
  }
  try {
    const n = new Notification(input.title, { body: input.body, tag });
    n.onclick = () => {
      window.focus();
      input.onClick();
      n.close();
    };
  } catch {
    // Some browsers (Android Chrome) allow notifications only from a service worker.
  }
}

function base64UrlToBytes(value: string): Uint8Array<ArrayBuffer> {
  const padded = `${value}${"=".repeat((4 - (value.length % 4)) % 4)}`.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(padded);
  const bytes = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/** This browser's push subscription, if any. */
export async function currentPushSubscription(): Promise<PushSubscription | null> {
  if (!supportsPush()) return null;
  const reg = await registerServiceWorker();
  return reg ? reg.pushManager.getSubscription() : null;
}

/** Subscribes this browser with the server's VAPID key and registers the subscription. */
export async function enablePush(): Promise<void> {
  if (!supportsPush()) throw new Error("push.unsupported");
  const permission = await requestSystemPermission();
  if (permission !== "granted") throw new Error("push.denied");
  const reg = await registerServiceWorker();
  if (!reg) throw new Error("push.unsupported");
  await navigator.serviceWorker.ready;
  const { public_key } = await api.get<{ public_key: string }>("/api/push/vapid-public-key/");
  let subscription = await reg.pushManager.getSubscription();
  if (subscription) {
    const current = subscription.options.applicationServerKey;
    const wanted = base64UrlToBytes(public_key);
    const same =
      current !== null &&
      current.byteLength === wanted.byteLength &&
      new Uint8Array(current).every((b, i) => b === wanted[i]);
    if (!same) {
      await subscription.unsubscribe();
      subscription = null;
    }
  }
  subscription ??= await reg.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: base64UrlToBytes(public_key),
  });
  const json = subscription.toJSON();
  await api.post("/api/push/subscriptions/", {
    endpoint: json.endpoint,
    keys: { p256dh: json.keys?.p256dh ?? "", auth: json.keys?.auth ?? "" },
  });
}

/** Removes this browser's push subscription here and on the server (sign-out, switched off). */
export async function disablePush(): Promise<void> {
  const subscription = await currentPushSubscription().catch(() => null);
  if (!subscription) return;
  try {
    await apiRequest("/api/push/subscriptions/", {
      method: "DELETE",
      body: { endpoint: subscription.endpoint },
    });
  } finally {
    await subscription.unsubscribe().catch(() => false);
  }
}
