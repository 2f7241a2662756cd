import {
  NOTIFICATION_CHANNELS,
  NOTIFICATION_KINDS,
  type TNotificationPreferences,
} from "@helpdesk/contracts";

const on = { email: true, in_app: true, web_push: true, telegram: true };

/**
 * Defaults: everything by e-mail, in the app, as a browser push and on Telegram (only for people
 * who linked it: linking is the opt-in). Notes only reach staff anyway.
 */
export const DEFAULT_PREFERENCES: TNotificationPreferences = {
  events: {
    ticket_created: { ...on },
    ticket_assigned: { ...on },
    status_changed: { ...on },
    ticket_closed: { ...on },
    new_message: { ...on },
    new_note: { ...on, email: false },
  },
  sound: true,
};

/** The stored preferences merged over the defaults; unknown or broken parts fall back. */
export function resolvePreferences(stored: unknown): TNotificationPreferences {
  const result: TNotificationPreferences = structuredClone(DEFAULT_PREFERENCES);
  if (typeof stored !== "object" || stored === null) return result;
  const s = stored as { events?: Record<string, unknown>; sound?: unknown };
  if (typeof s.sound === "boolean") result.sound = s.sound;
  for (const kind of NOTIFICATION_KINDS) {
    const ev = s.events?.[kind];
    if (typeof ev !== "object" || ev === null) continue;
    for (const ch of NOTIFICATION_CHANNELS) {
      const v = (ev as Record<string, unknown>)[ch];
      if (typeof v === "boolean") result.events[kind][ch] = v;
    }
  }
  return result;
}
