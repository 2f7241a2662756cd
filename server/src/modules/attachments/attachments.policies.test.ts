import { describe, expect, it } from "vitest";
import { testActor } from "../auth/auth.actor.fixtures.js";
import { canDownloadAttachment } from "./attachments.policies.js";

const actor = testActor;

describe("attachments.policies", () => {
  it("keeps an unattached upload to its uploader", () => {
    const file = { ticketId: null, uploaderId: 1, canViewTicket: false, isOnInternalNote: false };
    expect(canDownloadAttachment(actor("requester", 1), file)).toBe(true);
    expect(canDownloadAttachment(actor("admin", 2), file)).toBe(false);
  });

  it("lets whoever sees the ticket download its files", () => {
    const file = { ticketId: 10, uploaderId: 5, canViewTicket: true, isOnInternalNote: false };
    expect(canDownloadAttachment(actor("requester"), file)).toBe(true);
    expect(canDownloadAttachment(actor("executor"), { ...file, canViewTicket: false })).toBe(false);
  });

  it("keeps a note's files from requesters", () => {
    const file = { ticketId: 10, uploaderId: 5, canViewTicket: true, isOnInternalNote: true };
    expect(canDownloadAttachment(actor("requester"), file)).toBe(false);
    expect(canDownloadAttachment(actor("operator"), file)).toBe(true);
  });
});
