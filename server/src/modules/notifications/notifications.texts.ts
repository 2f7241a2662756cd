import type { TLanguage, TNotificationKind, TTicketStatus } from "@helpdesk/contracts";

const STATUS_NAMES: Record<TLanguage, Record<TTicketStatus, string>> = {
  ru: {
    open: "Открыта",
    in_progress: "В работе",
    waiting_for_client: "Ожидает ответа клиента",
    closed: "Закрыта",
  },
  en: {
    open: "Open",
    in_progress: "In progress",
    waiting_for_client: "Waiting for the client",
    closed: "Closed",
  },
};

export const statusName = (lang: TLanguage, status: string): string =>
  STATUS_NAMES[lang][status as TTicketStatus] ?? status;

/** What a notification is about: the facts its texts are built from. */
export type TNotificationFacts = {
  kind: TNotificationKind;
  ticketId: number;
  ticketTitle: string;
  actorName: string | null;
  statusFrom?: string;
  statusTo?: string;
  assigneeName?: string | null;
  /** The message or note text (or the description of a new ticket). */
  text?: string;
};

const HEADLINES: Record<TLanguage, Record<TNotificationKind, (f: TNotificationFacts) => string>> = {
  ru: {
    ticket_created: () => "Новая заявка",
    ticket_assigned: (f) => (f.assigneeName ? `Заявка назначена: ${f.assigneeName}` : "Заявка назначена"),
    status_changed: (f) => `Статус изменён: ${statusName("ru", f.statusTo ?? "")}`,
    ticket_closed: () => "Заявка закрыта",
    new_message: () => "Новое сообщение",
    new_note: () => "Новая внутренняя заметка",
  },
  en: {
    ticket_created: () => "New ticket",
    ticket_assigned: (f) => (f.assigneeName ? `Ticket assigned to ${f.assigneeName}` : "Ticket assigned"),
    status_changed: (f) => `Status changed: ${statusName("en", f.statusTo ?? "")}`,
    ticket_closed: () => "Ticket closed",
    new_message: () => "New message",
    new_note: () => "New internal note",
  },
};

/** A short headline such as "Новое сообщение" / "New message". */
export const headline = (lang: TLanguage, facts: TNotificationFacts): string =>
  HEADLINES[lang][facts.kind](facts);

/** Title and body of an in-app or push notification, in the recipient's language. */
export function describeNotification(
  lang: TLanguage,
  facts: TNotificationFacts,
): { title: string; body: string } {
  const title = `#${facts.ticketId} ${headline(lang, facts)}`;
  const by = facts.actorName ? (lang === "ru" ? ` (${facts.actorName})` : ` (by ${facts.actorName})`) : "";
  const snippet = facts.text ? `: ${facts.text.replace(/\s+/g, " ").trim().slice(0, 200)}` : "";
  return { title: title.slice(0, 200), body: `${facts.ticketTitle}${by}${snippet}`.slice(0, 500) };
}
