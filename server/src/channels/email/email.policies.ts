import type { TActor } from "../../modules/auth/auth.actor.js";

/** SMTP, test mail, the outbox, IMAP mailboxes and the inbound log: admins only. */
export const canManageEmailChannel = (a: Pick<TActor, "role">): boolean => a.role === "admin";

type TMailboxSource = { source: "admin" | "env" };

/** Fields of a mailbox from IMAP_URL that the admin may still change here (the rest is the environment's). */
const ENV_MAILBOX_EDITABLE = new Set(["is_enabled", "queue_id", "name"]);

/** Whether these fields of the mailbox may be changed through the API. */
export const canChangeMailbox = (m: TMailboxSource, fields: readonly string[]): boolean =>
  m.source !== "env" || fields.every((f) => ENV_MAILBOX_EDITABLE.has(f));

/** A mailbox from IMAP_URL comes back at the next start: it is removed from the environment instead. */
export const canDeleteMailbox = (m: TMailboxSource): boolean => m.source !== "env";
