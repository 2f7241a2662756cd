import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineChannelDriver, type TOutboundReply } from "../../src/channels/channel-driver.js";
import { ingestRawEmail } from "../../src/channels/email/email.inbound.js";
import { findActorsByIds } from "../../src/modules/auth/auth.repository.js";
import { resolveContact } from "../../src/modules/contacts/contacts.usecases.js";
import { MAX_SEND_ATTEMPTS, SEND_REPLY_JOB } from "../../src/modules/conversations/conversations.outbound.js";
import { upsertBinding } from "../../src/modules/conversations/conversations.repository.js";
import { waitForNotificationsIdle } from "../../src/modules/notifications/notifications.engine.js";
import { createTicket } from "../../src/modules/tickets/tickets.usecases.js";
import { users } from "../../src/platform/db/schema/index.js";
import { withTx } from "../../src/platform/unit-of-work.js";
import { startSmtpSink } from "../email/smtp-sink.js";
import { startTestServer, type TTestServer } from "../helpers.js";

/** A second channel that lives entirely in this test: it only needs a driver. */
const sent: TOutboundReply[] = [];
let failuresLeft = 0;
const testDriver = defineChannelDriver({
  name: "test-chat",
  accountConfig: z.object({}),
  async sendReply(_ctx, reply) {
    if (failuresLeft > 0) {
      failuresLeft -= 1;
      throw new Error("chat service unavailable");
    }
    sent.push(reply);
    return { externalId: `chat-msg-${sent.length}` };
  },
});

let s: TTestServer;
let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let admin: Record<string, string>;
let operator: Awaited<ReturnType<TTestServer["actor"]>>;
beforeAll(async () => {
  sink = await startSmtpSink();
  s = await startTestServer({
    env: {
      SMTP_URL: sink.url,
      MAIL_FROM: "Support <support@helpdesk.example>",
      PUBLIC_URL: "https://desk.example",
    },
    drivers: [testDriver],
  });
  admin = (await s.actor("admin")).headers;
  operator = await s.actor("operator", [1]);
});
afterAll(async () => {
  await s?.close();
  await sink?.close();
});

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const messageAs = async (headers: Record<string, string>, id: number) =>
  (await s.inject({ method: "GET", url: `/api/messages/${id}/`, headers })).json();

async function reply(ticketId: number, text: string): Promise<number> {
  const res = await s.inject({
    method: "POST",
    url: "/api/messages/",
    headers: operator.headers,
    payload: { ticket_id: ticketId, text },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

describe("conversations: replies go back on the customer's channel", () => {
  it("mails a staff reply to a customer who wrote by mail, even with e-mail notifications off", async () => {
    const mailbox = (
      await s.inject({
        method: "POST",
        url: "/api/admin/email/mailboxes/",
        headers: admin,
        payload: { name: "Support", host: "127.0.0.1", port: 1, username: "u", password: "p" },
      })
    ).json();
    const result = await ingestRawEmail(
      s.ctx,
      { mailboxId: mailbox.id, queueId: mailbox.queue_id, uidValidity: 1, uid: 1 },
      Buffer.from(
        [
          "From: Maria <maria@example.org>",
          "To: support@helpdesk.example",
          "Subject: VPN does not connect",
          "Message-ID: <vpn-1@example.org>",
          "",
          "Error 809 since this morning",
        ].join("\r\n"),
      ),
    );
    const ticketId = (result as { ticketId: number }).ticketId;
    // Maria turned off "new message by e-mail".
    const [maria] = await s.ctx.db.select().from(users).where(eq(users.email, "maria@example.org"));
    await s.ctx.db
      .update(users)
      .set({ preferences: { notifications: { events: { new_message: { email: false, in_app: true } } } } })
      .where(eq(users.id, maria!.id));
    const before = sink.mails.length;

    const messageId = await reply(ticketId, "Please update the VPN client to 5.2");
    await waitForNotificationsIdle();
    const toMaria = await until(
      async () => sink.mails.slice(before).filter((m) => m.to.includes("maria@example.org")),
      (list) => list.length > 0,
    );
    expect(toMaria).toHaveLength(1);
    expect(toMaria[0]!.parsed.subject).toBe(`Re: [#${ticketId}] VPN does not connect`);
    expect(toMaria[0]!.parsed.text).toContain("Please update the VPN client to 5.2");
    expect(toMaria[0]!.parsed.inReplyTo).toBe("<vpn-1@example.org>");
    // The sink has the mail a moment before the sender records it as sent.
    const { delivery } = await until(
      () => messageAs(operator.headers, messageId),
      (m) => m.delivery?.state === "sent",
    );
    expect(delivery).toMatchObject({ channel: "email", state: "sent", attempts: 1, last_error: null });

    // Her answer threads into the ticket, and the next reply goes back the same way.
    const answer = await ingestRawEmail(
      s.ctx,
      { mailboxId: mailbox.id, queueId: mailbox.queue_id, uidValidity: 1, uid: 2 },
      Buffer.from(
        [
          "From: maria@example.org",
          "To: support@helpdesk.example",
          `Subject: Re: [#${ticketId}] VPN does not connect`,
          "Message-ID: <vpn-2@example.org>",
          `In-Reply-To: ${toMaria[0]!.parsed.messageId}`,
          "",
          "Updated, works now. Thanks!",
        ].join("\r\n"),
      ),
    );
    expect(answer).toMatchObject({ status: "reply", ticketId });

    // With her notifications back on she still gets the reply once, not also a notification of it.
    await s.ctx.db.update(users).set({ preferences: {} }).where(eq(users.id, maria!.id));
    const mark = sink.mails.length;
    await reply(ticketId, "Glad it works");
    await waitForNotificationsIdle();
    const next = await until(
      async () => sink.mails.slice(mark).filter((m) => m.to.includes("maria@example.org")),
      (list) => list.length > 0,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.mails.slice(mark).filter((m) => m.to.includes("maria@example.org"))).toHaveLength(1);
    expect(next[0]!.parsed.text).toContain("Glad it works");
  });

  it("does not mail replies on a ticket filed on the web: the requester is notified as before", async () => {
    const requester = await s.actor("requester");
    const ticketId = (
      await s.inject({
        method: "POST",
        url: "/api/tickets/",
        headers: requester.headers,
        payload: { title: "Web" },
      })
    ).json().id;
    const messageId = await reply(ticketId, "Looking into it");
    await waitForNotificationsIdle();
    expect((await messageAs(operator.headers, messageId)).delivery).toBeNull();
    const notified = await until(
      async () => sink.mails.filter((m) => m.to.includes(requester.email)),
      (list) => list.length > 0,
    );
    expect(notified[0]!.parsed.subject).toContain(`[#${ticketId}]`);
  });

  it("brings in a second channel with only a driver: a contact without e-mail, retries, failure shown, retry action", async () => {
    const { userId } = await withTx(s.ctx, (tx) =>
      resolveContact(tx, { channel: "test-chat", externalId: "chat-42", displayName: "Chat visitor" }, "en"),
    );
    const [contact] = await findActorsByIds(s.ctx.db, [userId]);
    expect(contact?.email).toBeNull();
    const ticketId = await withTx(s.ctx, async (tx, emit) => {
      const id = await createTicket(
        tx,
        emit,
        contact!,
        { title: "Order 1234 is late", description: "", attachment_ids: [] },
        "widget",
      );
      await upsertBinding(tx, {
        ticketId: id,
        channel: "test-chat",
        accountId: null,
        externalThreadId: "chat-42",
        contactUserId: userId,
      });
      return id;
    });

    failuresLeft = MAX_SEND_ATTEMPTS + 1;
    const messageId = await reply(ticketId, "It ships today");
    const first = await until(
      () => messageAs(operator.headers, messageId),
      (m) => m.delivery?.attempts === 1,
    );
    expect(first.delivery).toMatchObject({
      channel: "test-chat",
      state: "retrying",
      last_error: "chat service unavailable",
    });
    // The queue retries (here by hand: tests run jobs inline) until the last attempt fails.
    for (let i = 1; i < MAX_SEND_ATTEMPTS; i++) {
      await s.ctx.jobs.runNow(SEND_REPLY_JOB, { messageId }).catch(() => {});
    }
    const failed = await messageAs(operator.headers, messageId);
    expect(failed.delivery).toMatchObject({ state: "failed", attempts: MAX_SEND_ATTEMPTS });
    expect(sent).toHaveLength(0);

    // Requesters never see delivery internals, and cannot retry.
    const requester = await s.actor("requester");
    const refused = await s.inject({
      method: "POST",
      url: `/api/messages/${messageId}/retry-delivery/`,
      headers: requester.headers,
    });
    expect(refused.statusCode).toBe(404);

    failuresLeft = 0;
    const retried = await s.inject({
      method: "POST",
      url: `/api/messages/${messageId}/retry-delivery/`,
      headers: operator.headers,
    });
    expect(retried.statusCode, retried.body).toBe(202);
    const done = await until(
      () => messageAs(operator.headers, messageId),
      (m) => m.delivery?.state === "sent",
    );
    expect(done.delivery).toMatchObject({ state: "sent", last_error: null });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      contact: { id: userId, email: null, name: "Chat visitor" },
      ticket: { id: ticketId, title: "Order 1234 is late" },
      message: { id: messageId, text: "It ships today" },
      binding: { channel: "test-chat", externalThreadId: "chat-42" },
    });
    // Nothing left to retry.
    const again = await s.inject({
      method: "POST",
      url: `/api/messages/${messageId}/retry-delivery/`,
      headers: operator.headers,
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe("messages.nothing_to_retry");
  });
});
