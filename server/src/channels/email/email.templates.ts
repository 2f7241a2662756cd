import type { TLanguage } from "@helpdesk/contracts";
import {
  headline,
  statusName,
  type TNotificationFacts,
} from "../../modules/notifications/notifications.texts.js";

/** Escapes text for HTML element content and attribute values. */
export const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

const T = {
  ru: {
    open: "Открыть заявку",
    by: "Автор изменения",
    status: "Статус",
    latest: "Последнее сообщение",
    footer:
      "Это автоматическое уведомление службы поддержки. Чтобы ответить, ответьте на это письмо или откройте заявку.",
  },
  en: {
    open: "Open the ticket",
    by: "Changed by",
    status: "Status",
    latest: "Latest message",
    footer:
      "This is an automatic notification from the help desk. Reply to this e-mail or open the ticket to answer.",
  },
} as const;

/** Subject with the ticket number first, which is how replies find their ticket: `[#1042] …`. */
export const ticketSubject = (lang: TLanguage, facts: TNotificationFacts): string =>
  `[#${facts.ticketId}] ${facts.ticketTitle} — ${headline(lang, facts)}`
    .replace(/[\r\n]+/g, " ")
    .slice(0, 250);

/** Renders a notification e-mail (HTML and plain text); every user-provided string is escaped. */
export function renderNotificationEmail(
  lang: TLanguage,
  facts: TNotificationFacts,
  opts: { link: string; organisation: string },
): { subject: string; text: string; html: string } {
  const t = T[lang];
  const subject = ticketSubject(lang, facts);
  const lines: string[] = [`${headline(lang, facts)}: #${facts.ticketId} ${facts.ticketTitle}`, ""];
  if (facts.actorName) lines.push(`${t.by}: ${facts.actorName}`);
  if (facts.statusTo)
    lines.push(
      `${t.status}: ${statusName(lang, facts.statusFrom ?? "")} → ${statusName(lang, facts.statusTo)}`,
    );
  if (facts.text) lines.push("", `${t.latest}:`, facts.text);
  lines.push("", `${t.open}: ${opts.link}`, "", "-- ", `${opts.organisation}. ${t.footer}`);
  const text = lines.join("\n");

  const p = (s: string) => `<p style="margin:0 0 8px">${s}</p>`;
  const parts: string[] = [
    `<h2 style="font-size:18px;margin:0 0 12px">${escapeHtml(headline(lang, facts))}: #${facts.ticketId} ${escapeHtml(facts.ticketTitle)}</h2>`,
  ];
  if (facts.actorName) parts.push(p(`${t.by}: <b>${escapeHtml(facts.actorName)}</b>`));
  if (facts.statusTo) {
    parts.push(
      p(
        `${t.status}: ${escapeHtml(statusName(lang, facts.statusFrom ?? ""))} → <b>${escapeHtml(statusName(lang, facts.statusTo))}</b>`,
      ),
    );
  }
  if (facts.text) {
    parts.push(
      p(`${t.latest}:`),
      `<blockquote style="margin:0 0 12px;padding:8px 12px;border-left:3px solid #ccc;white-space:pre-wrap">${escapeHtml(facts.text)}</blockquote>`,
    );
  }
  parts.push(p(`<a href="${escapeHtml(opts.link)}">${t.open} #${facts.ticketId}</a>`));
  parts.push(`<hr><p style="color:#888;font-size:12px">${escapeHtml(opts.organisation)}. ${t.footer}</p>`);
  const html = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body style="font-family:sans-serif">${parts.join("")}</body></html>`;
  return { subject, text, html };
}

/** The admin's test message. */
export function renderTestEmail(
  lang: TLanguage,
  organisation: string,
): { subject: string; text: string; html: string } {
  const subject = lang === "ru" ? `${organisation}: проверка отправки почты` : `${organisation}: e-mail test`;
  const text =
    lang === "ru"
      ? "Если вы читаете это письмо, отправка почты настроена правильно."
      : "If you can read this, outgoing e-mail is configured correctly.";
  return { subject, text, html: `<p>${escapeHtml(text)}</p>` };
}

const REPLY_T = {
  ru: {
    wrote: "пишет",
    footer: "Чтобы ответить, просто ответьте на это письмо; номер заявки в теме.",
    open: "Заявка в личном кабинете",
  },
  en: {
    wrote: "wrote",
    footer: "To answer, just reply to this e-mail; the ticket number is in the subject.",
    open: "The ticket online",
  },
} as const;

/**
 * A staff reply as the customer receives it by mail: the message itself (not a notification
 * about it), in the ticket's thread, with the ticket number in the subject so answers thread.
 */
export function renderReplyEmail(
  lang: TLanguage,
  reply: { ticketId: number; ticketTitle: string; authorName: string; text: string },
  opts: { link: string; organisation: string },
): { subject: string; text: string; html: string } {
  const t = REPLY_T[lang];
  const subject = `Re: [#${reply.ticketId}] ${reply.ticketTitle}`.replace(/[\r\n]+/g, " ").slice(0, 250);
  const text = [
    `${reply.authorName} (${opts.organisation}) ${t.wrote}:`,
    "",
    reply.text,
    "",
    "-- ",
    `${t.footer}`,
    `${t.open}: ${opts.link}`,
  ].join("\n");
  const html = [
    `<p style="margin:0 0 12px;color:#555">${escapeHtml(reply.authorName)} (${escapeHtml(opts.organisation)}) ${t.wrote}:</p>`,
    `<div style="white-space:pre-wrap;margin:0 0 16px">${escapeHtml(reply.text)}</div>`,
    `<p style="margin:0;color:#888;font-size:12px">${escapeHtml(t.footer)} <a href="${escapeHtml(opts.link)}">${escapeHtml(t.open)}</a></p>`,
  ].join("\n");
  return { subject, text, html };
}
