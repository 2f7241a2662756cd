import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestRawEmail } from "../../src/channels/email/email.inbound.js";
import { findActorsByIds } from "../../src/modules/auth/auth.repository.js";
import type { TInboundAutomation } from "../../src/modules/conversations/conversations.inbound.js";
import { MAX_SEND_ATTEMPTS, SEND_REPLY_JOB } from "../../src/modules/conversations/conversations.outbound.js";
import { waitForNotificationsIdle } from "../../src/modules/notifications/notifications.engine.js";
import { inboundItems, priorities, users } from "../../src/platform/db/schema/index.js";
import { startSmtpSink } from "../email/smtp-sink.js";
import { postStaffReply, startTestServer, type TTestServer } from "../helpers.js";
import { until } from "../wait.js";
import { createTestChatDriver } from "./test-chat/test-chat.driver.js";

/** A second channel that lives entirely in its own folder: it only needs a driver. */
const chat = createTestChatDriver();

/** A rules bot in miniature: it answers "/start" itself and raises "URGENT" requests. */
const decided: { text: string; ticketId: number | null }[] = [];
const bot: TInboundAutomation = {
  name: "test-bot",
  async decide(tx, _emit, { message, ticketId }) {
    if (message.channel !== "test-chat") return undefined;
    decided.push({ text: message.text, ticketId });
    if (message.text === "/start") return { action: "handled", reason: "greeted by the bot" };
    if (message.text.includes("URGENT") && ticketId === null) {
      const [urgent] = await tx
        .select({ id: priorities.id })
        .from(priorities)
        .where(eq(priorities.slug, "urgent"));
      return { action: "route", priorityId: urgent!.id };
    }
    return undefined;
  },
};

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
    drivers: [chat.driver],
    automations: [bot],
  });
  admin = (await s.actor("admin")).headers;
  operator = await s.actor("operator", [1]);
});
afterAll(async () => {
  await s?.close();
  await sink?.close();
});

const messageAs = async (headers: Record<string, string>, id: number) =>
  (await s.inject({ method: "GET", url: `/api/messages/${id}/`, headers })).json();

const reply = (ticketId: number, text: string) => postStaffReply(s, operator.headers, ticketId, text);

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
    const webhook = (payload: Record<string, unknown>) =>
      s.inject({ method: "POST", url: "/api/channels/test-chat/webhook/", payload });
    const first = await webhook({
      update_id: 1,
      chat_id: "chat-42",
      from_name: "Chat visitor",
      text: "Order 1234 is late",
    });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ status: "ticket" });
    const ticketId: number = first.json().ticket_id;
    // The same update delivered again makes nothing.
    expect(
      (
        await webhook({
          update_id: 1,
          chat_id: "chat-42",
          from_name: "Chat visitor",
          text: "Order 1234 is late",
        })
      ).json(),
    ).toEqual({
      status: "duplicate",
      ticket_id: null,
    });
    // The next message in the chat continues the open ticket.
    const second = await webhook({
      update_id: 2,
      chat_id: "chat-42",
      from_name: "Chat visitor",
      text: "Any news?",
    });
    expect(second.json()).toEqual({ status: "reply", ticket_id: ticketId });

    const ticket = (
      await s.inject({ method: "GET", url: `/api/tickets/${ticketId}/`, headers: operator.headers })
    ).json();
    expect(ticket).toMatchObject({ title: "Order 1234 is late", source: "widget" });
    const [contact] = await findActorsByIds(s.ctx.db, [ticket.requester.id]);
    expect(contact).toMatchObject({ email: null, name: "Chat visitor", role: "requester" });
    const items = await s.ctx.db.select().from(inboundItems).where(eq(inboundItems.channel, "test-chat"));
    expect(items.map((i) => [i.externalId, i.status, i.ticketId])).toEqual([
      ["update-1", "ticket", ticketId],
      ["update-2", "reply", ticketId],
    ]);

    chat.state.failuresLeft = MAX_SEND_ATTEMPTS + 1;
    const messageId = await reply(ticketId, "It ships today");
    const first_ = await until(
      () => messageAs(operator.headers, messageId),
      (m) => m.delivery?.attempts === 1,
    );
    expect(first_.delivery).toMatchObject({
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
    expect(chat.sent).toHaveLength(0);

    // Requesters never see delivery internals, and cannot retry.
    const requester = await s.actor("requester");
    const refused = await s.inject({
      method: "POST",
      url: `/api/messages/${messageId}/retry-delivery/`,
      headers: requester.headers,
    });
    expect(refused.statusCode).toBe(404);

    chat.state.failuresLeft = 0;
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
    expect(chat.sent).toHaveLength(1);
    expect(chat.sent[0]).toMatchObject({
      contact: { id: ticket.requester.id, email: null, name: "Chat visitor" },
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

    // Once the ticket is closed, the chat's next message is a new request.
    const closed = await s.inject({
      method: "PATCH",
      url: `/api/tickets/${ticketId}/`,
      headers: admin,
      payload: { status: "closed" },
    });
    expect(closed.statusCode, closed.body).toBe(200);
    const next = await webhook({
      update_id: 3,
      chat_id: "chat-42",
      from_name: "Chat visitor",
      text: "Another thing",
    });
    expect(next.json().status).toBe("ticket");
    expect(next.json().ticket_id).not.toBe(ticketId);
  });

  it("checks a channel's files like uploads and refuses bad webhook input without writing", async () => {
    const before = (await s.ctx.db.select().from(inboundItems)).length;
    const bad = await s.inject({
      method: "POST",
      url: "/api/channels/test-chat/webhook/",
      payload: { update_id: "x", chat_id: "" },
    });
    expect(bad.statusCode).toBe(400);
    expect((await s.ctx.db.select().from(inboundItems)).length).toBe(before);

    const res = await s.inject({
      method: "POST",
      url: "/api/channels/test-chat/webhook/",
      payload: {
        update_id: 10,
        chat_id: "chat-77",
        from_name: "Files",
        text: "See attached",
        file: { name: "setup.exe", base64: Buffer.from("MZ\x90\x00binary").toString("base64") },
      },
    });
    expect(res.json().status).toBe("ticket");
    const t = (
      await s.inject({
        method: "GET",
        url: `/api/tickets/${res.json().ticket_id}/`,
        headers: operator.headers,
      })
    ).json();
    expect(t.description).toContain("[setup.exe: executable files are not accepted]");
    const [item] = await s.ctx.db.select().from(inboundItems).where(eq(inboundItems.externalId, "update-10"));
    expect(item!.rejectedFiles).toMatchObject([{ filename: "setup.exe" }]);
  });

  it("lets an automation decide before routing: answer by itself, or route the new ticket", async () => {
    const webhook = (payload: Record<string, unknown>) =>
      s.inject({ method: "POST", url: "/api/channels/test-chat/webhook/", payload });
    const tickets = async () =>
      (await s.ctx.db.select().from(inboundItems)).filter((i) => i.ticketId !== null).length;
    const before = await tickets();
    const greeted = await webhook({
      update_id: 20,
      chat_id: "chat-bot",
      from_name: "Bot user",
      text: "/start",
    });
    expect(greeted.json()).toEqual({ status: "handled", ticket_id: null });
    expect(await tickets()).toBe(before);
    const [item] = await s.ctx.db.select().from(inboundItems).where(eq(inboundItems.externalId, "update-20"));
    expect(item).toMatchObject({ status: "handled", reason: "greeted by the bot", ticketId: null });

    const urgent = await webhook({
      update_id: 21,
      chat_id: "chat-bot",
      from_name: "Bot user",
      text: "URGENT: the site is down",
    });
    expect(urgent.json().status).toBe("ticket");
    const t = (
      await s.inject({
        method: "GET",
        url: `/api/tickets/${urgent.json().ticket_id}/`,
        headers: operator.headers,
      })
    ).json();
    expect(t.priority.slug ?? t.priority.name).toMatch(/urgent/i);
    expect(decided.at(-1)).toEqual({ text: "URGENT: the site is down", ticketId: null });
  });
});
