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

  it("checks attachments as uploads are checked: the type comes from the bytes, executables stay out", async () => {
    const b64 = (buf: Buffer) => buf.toString("base64").replace(/.{76}/g, "$&\r\n");
    const png = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
      "base64",
    );
    // A Windows executable (MZ header) that calls itself a picture.
    const exe = Buffer.concat([Buffer.from("MZ\x90\x00\x03\x00\x00\x00", "binary"), Buffer.alloc(200, 0)]);
    const part = (name: string, type: string, bytes: Buffer) => [
      "--B",
      `Content-Type: ${type}; name="${name}"`,
      `Content-Disposition: attachment; filename="${name}"`,
      "Content-Transfer-Encoding: base64",
      "",
      b64(bytes),
    ];
    const result = await ingest([
      "From: files.sender@example.org",
      "To: support@example.com",
      "Subject: Two files",
      "Message-ID: <files-1@example.org>",
      'Content-Type: multipart/mixed; boundary="B"',
      "",
      "--B",
      "Content-Type: text/plain",
      "",
      "See attached",
      // Declared as a download, it is a PNG; declared as a PNG, it is a program.
      ...part("photo.bin", "application/octet-stream", png),
      ...part("holiday.png", "image/png", exe),
      "--B--",
      "",
    ]);
    expect(result.status).toBe("ticket");
    const ticket = (
      await s.inject({
        method: "GET",
        url: `/api/tickets/${(result as { ticketId: number }).ticketId}/`,
        headers: admin,
      })
    ).json() as { description: string; attachments: { filename: string; content_type: string }[] };
    const byName = new Map(ticket.attachments.map((a) => [a.filename, a.content_type]));
    expect(byName.get("photo.bin")).toBe("image/png");
    expect(byName.has("holiday.png")).toBe(false);
    expect(ticket.description).toContain("[holiday.png: executable files are not accepted]");
  });
});
