import { createHmac } from "node:crypto";
import { toStorableText } from "@helpdesk/contracts";
import { and, asc, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/index.js";
import { emailThreads } from "../../platform/db/schema/index.js";

/** The domain part used in generated Message-IDs: the sender's, else the public URL's host. */
export function messageIdDomain(from: string | undefined, publicUrl: string): string {
  const m = /@([a-z0-9.-]+)/i.exec(from ?? "");
  if (m?.[1]) return m[1].toLowerCase();
  try {
    return new URL(publicUrl).hostname || "helpdesk.local";
  } catch {
    return "helpdesk.local";
  }
}

const tag = (secret: string, s: string) => createHmac("sha256", secret).update(s).digest("hex").slice(0, 12);

/** The ticket's root Message-ID: every outgoing mail of a ticket references it. */
export const ticketRootMessageId = (secret: string, domain: string, ticketId: number): string =>
  `<ticket-${ticketId}.${tag(secret, `root:${ticketId}`)}@${domain}>`;

/** Stable per staff reply: a retried send carries the same Message-ID. */
export const replyMessageId = (secret: string, domain: string, ticketId: number, messageId: number): string =>
  `<ticket-${ticketId}-reply-${messageId}.${tag(secret, `r:${messageId}`)}@${domain}>`;

/** Stable per notification (event × recipient): a retried send carries the same Message-ID. */
export const notificationMessageId = (
  secret: string,
  domain: string,
  ticketId: number,
  eventId: number,
  userId: number,
): string => `<ticket-${ticketId}-event-${eventId}.${tag(secret, `n:${eventId}:${userId}`)}@${domain}>`;

/** Normalises a Message-ID to `<local@domain>` form, or null when it is not one. */
export function normaliseMessageId(raw: string | undefined | null): string | null {
  if (!raw) return null;
  raw = toStorableText(raw);
  const m = /<([^<>\s]+)>/.exec(raw) ?? /^\s*([^<>\s]+@[^<>\s]+)\s*$/.exec(raw);
  if (!m?.[1]) return null;
  return `<${m[1]}>`.slice(0, 500);
}

/** All Message-IDs in a References / In-Reply-To value. */
export function parseMessageIds(raw: string | string[] | undefined | null): string[] {
  const values = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const out: string[] = [];
  for (const value of values) {
    const v = toStorableText(value);
    for (const m of v.matchAll(/<([^<>\s]+)>/g)) out.push(`<${m[1]}>`.slice(0, 500));
    if (!v.includes("<"))
      for (const w of v.split(/\s+/)) if (w.includes("@")) out.push(`<${w}>`.slice(0, 500));
  }
  return out;
}

/** Records Message-IDs as belonging to a ticket (ignores ones already known). */
export async function rememberMessageIds(
  tx: DbOrTx,
  ticketId: number,
  ids: string[],
  direction: "in" | "out",
) {
  await rememberThreadIds(
    tx,
    ids.map((messageId) => ({ ticketId, messageId })),
    direction,
  );
}

/** The same for mails of several tickets at once (one statement for a batch of deliveries). */
export async function rememberThreadIds(
  tx: DbOrTx,
  rows: { ticketId: number; messageId: string }[],
  direction: "in" | "out",
) {
  const unique = new Map(rows.map((r) => [r.messageId, r]));
  if (unique.size === 0) return;
  await tx
    .insert(emailThreads)
    .values([...unique.values()].map((r) => ({ ...r, direction })))
    .onConflictDoNothing();
}

/** The ticket a reply belongs to, from its In-Reply-To and References (newest first). */
export async function findTicketByMessageIds(tx: DbOrTx, ids: string[]): Promise<number | null> {
  if (ids.length === 0) return null;
  const rows = await tx
    .select({ messageId: emailThreads.messageId, ticketId: emailThreads.ticketId })
    .from(emailThreads)
    .where(inArray(emailThreads.messageId, ids.slice(0, 100)));
  for (const id of [...ids].reverse()) {
    const hit = rows.find((r) => r.messageId === id);
    if (hit) return hit.ticketId;
  }
  return null;
}

/**
 * Threading headers for an outgoing mail of a ticket: References carry the ticket's root and
 * the inbound mails' Message-IDs; In-Reply-To is the latest inbound mail (or the root).
 */
export async function threadHeadersFor(
  tx: DbOrTx,
  ticketId: number,
  root: string,
): Promise<{ inReplyTo: string; references: string[] }> {
  const inbound = await tx
    .select({ messageId: emailThreads.messageId })
    .from(emailThreads)
    .where(and(eq(emailThreads.ticketId, ticketId), eq(emailThreads.direction, "in")))
    .orderBy(asc(emailThreads.createdAt))
    .limit(50);
  const ids = inbound.map((r) => r.messageId);
  // Keep References short: the root, the first inbound mail and the latest few.
  const refs = [root, ...(ids.length > 6 ? [ids[0]!, ...ids.slice(-5)] : ids)];
  return { inReplyTo: ids.at(-1) ?? root, references: [...new Set(refs)] };
}
