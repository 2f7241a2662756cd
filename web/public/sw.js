/* Helpdesk service worker: web push only (no fetch handler, nothing is cached). */
/* global self, clients */

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

/** Same-origin path of a link from the server (which sends absolute URLs of PUBLIC_URL). */
function localPath(url) {
  try {
    const parsed = new URL(url, self.location.origin);
    return parsed.pathname + parsed.search + parsed.hash;
  } catch {
    return "/";
  }
}

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { title: event.data ? event.data.text() : "" };
  }
  const title = data.title || "Helpdesk";
  const path = data.url ? localPath(data.url) : data.ticket_id ? `/tickets/${data.ticket_id}` : "/";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      // A visible tab already shows the notification in the app (toast, bell, sound).
      if (windows.some((w) => w.visibilityState === "visible" && w.focused)) return undefined;
      return self.registration.showNotification(title, {
        body: data.body || "",
        tag: data.ticket_id ? `hd-ticket-${data.ticket_id}` : "hd-notification",
        data: { url: path },
      });
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const path = localPath(event.notification.data?.url || "/");
  const target = new URL(path, self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const same = windows.filter((w) => new URL(w.url).origin === self.location.origin);
      const exact = same.find((w) => w.url === target);
      if (exact) return exact.focus();
      const tab = same[0];
      if (tab) {
        // The app navigates with its router (no reload); see useLiveNotifications.
        tab.postMessage({ type: "open", url: path });
        return tab.focus();
      }
      return self.clients.openWindow(target);
    }),
  );
});
