import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestRawEmail } from "../../src/channels/email/email.inbound.js";
import { startTestServer, type TTestServer } from "../helpers.js";

let s: TTestServer;
let admin: Record<string, string>;
let mailbox: { id: number; queue_id: number };
beforeAll(async () => {
  s = await startTestServer();
  admin = (await s.actor("admin")).headers;
  const res = await s.inject({
    method: "POST",
    url: "/api/admin/email/mailboxes/",
    headers: admin,
    payload: { name: "Support", host: "127.0.0.1", port: 1, username: "u", password: "p" },
  });
  mailbox = res.json();
});
afterAll(async () => {
  await s?.close();
});

let uid = 0;
const ingest = (lines: string[]) =>
  ingestRawEmail(
    s.ctx,
    { mailboxId: mailbox.id, queueId: mailbox.queue_id, uidValidity: 1, uid: ++uid },
    Buffer.from(lines.join("\r\n")),
  );

describe("inbound mail with text PostgreSQL cannot store", () => {
  it("files a ticket from a mail whose subject, sender name and body hold NUL and broken UTF-16", async () => {
    // Encoded words and quoted-printable decode to NUL; a lone surrogate arrives as an encoded word.
    const result = await ingest([
      'From: "=?utf-8?Q?Iv=00an?=" <nul.sender@example.org>',
      "To: support@example.com",
      "Subject: =?utf-8?Q?Printer=00_on_fire?=",
      "Message-ID: <nul-1@example.org>",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "Smoke=00 everywhere",
    ]);
    expect(result.status).toBe("ticket");
    const ticketId = (result as { ticketId: number }).ticketId;
    const ticket = (
      await s.inject({ method: "GET", url: `/api/tickets/${ticketId}/`, headers: admin })
    ).json();
    expect(ticket.title).toBe("Printer on fire");
    expect(ticket.description).toBe("Smoke everywhere");
    expect(ticket.requester.name).toBe("Ivan");
  });

  it("adds a reply whose body holds NUL to the ticket", async () => {
    const first = await ingest([
      "From: reply.sender@example.org",
      "To: support@example.com",
      "Subject: Keyboard",
      "Message-ID: <nul-2@example.org>",
      "",
      "It types twice",
    ]);
    const ticketId = (first as { ticketId: number }).ticketId;
    const reply = await ingest([
      "From: reply.sender@example.org",
      "To: support@example.com",
      `Subject: Re: [#${ticketId}] Keyboard`,
      "Message-ID: <nul-3@example.org>",
      "In-Reply-To: <nul-2@example.org>",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "Still=00 broken",
    ]);
    expect(reply.status).toBe("reply");
    const messages = await s.inject({
      method: "GET",
      url: `/api/tickets/${ticketId}/messages/`,
      headers: admin,
    });
    expect(messages.json().results.map((m: { text: string }) => m.text)).toContain("Still broken");
  });
});
