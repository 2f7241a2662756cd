import type { TActor } from "../auth/auth.actor.js";
import { canSeeInternalNotes } from "../tickets/tickets.policies.js";

/** What the download rule looks at: where the file is attached and what the reader may see there. */
export type TAttachmentAccess = {
  ticketId: number | null;
  uploaderId: number | null;
  /** The reader may see the file's ticket (false when there is none). */
  canViewTicket: boolean;
  /** The file belongs to an internal note. */
  isOnInternalNote: boolean;
};

/**
 * An upload not attached yet is its uploader's alone. An attached file follows its ticket, and a
 * note's file is for staff only.
 */
export const canDownloadAttachment = (a: TActor, f: TAttachmentAccess): boolean =>
  f.ticketId === null
    ? f.uploaderId === a.id
    : f.canViewTicket && (!f.isOnInternalNote || canSeeInternalNotes(a));
