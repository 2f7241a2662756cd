import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForNotificationsIdle } from "../../src/modules/notifications/notifications.engine.js";
import { users } from "../../src/platform/db/schema/index.js";
import { startTestServer, type TTestServer } from "../helpers.js";
import { startSmtpSink } from "./smtp-sink.js";

let s: TTestServer;
let sink: Awaited<ReturnType<typeof startSmtpSink>>;

beforeAll(async () => {
  sink = await startSmtpSink();
  s = await startTestServer({
    env: {
      SMTP_URL: sink.url,
      MAIL_FROM: "Support <support@helpdesk.example>",
      PUBLIC_URL: "https://desk.example",
    },
  });
});
afterAll(async () => {
  await s?.close();
  await sink?.close();
});

const mailsTo = (email: string) => sink.mails.filter((m) => m.to.includes(email));

describe("#email outgoing notifications", () => {
  it("sends threaded, auto-submitted mail with [#N] in each recipient's language", async () => {
    const requester = await s.actor("requester");
    await s.ctx.db.update(users).set({ language: "en" }).where(eq(users.id, requester.id));
    const operator = await s.actor("operator");
    const executor = await s.actor("executor");
    const created = await s.inject({
      method: "POST",
      url: "/api/tickets/",
      headers: requester.headers,
      payload: { title: "Printer <b>jam</b>", description: "Paper stuck & blinking" },
    });
    const id = created.json().id as number;
    await waitForNotificationsIdle();
    const toOperator = mailsTo(operator.email)[0]!;
    expect(toOperator.parsed.subject).toBe(`[#${id}] Printer <b>jam</b> — Новая заявка`);
    expect(toOperator.header("auto-submitted")).toBe("auto-generated");
    expect(toOperator.header("x-auto-response-suppress")).toBe("All");
    expect(toOperator.parsed.messageId).toMatch(
      new RegExp(`^<ticket-${id}-event-\\d+\\.[0-9a-f]{12}@helpdesk\\.example>$`),
    );
    expect(toOperator.parsed.inReplyTo).toMatch(
      new RegExp(`^<ticket-${id}\\.[0-9a-f]{12}@helpdesk\\.example>$`),
    );
    expect(toOperator.parsed.references).toContain(toOperator.parsed.inReplyTo);
    expect(toOperator.parsed.from?.text).toContain("support@helpdesk.example");
    // User text is escaped in HTML, and the link points at the ticket.
    expect(toOperator.parsed.html).toContain("Printer &lt;b&gt;jam&lt;/b&gt;");
    expect(toOperator.parsed.html).not.toContain("<b>jam</b>");
    expect(toOperator.parsed.text).toContain(`https://desk.example/tickets/${id}`);
    expect(toOperator.parsed.text).toContain("Paper stuck & blinking");

    await s.inject({
      method: "POST",
      url: `/api/tickets/${id}/assign/`,
      headers: operator.headers,
      payload: { executor_id: executor.id },
    });
    await s.inject({
      method: "POST",
      url: "/api/messages/",
      headers: executor.headers,
      payload: { ticket_id: id, text: "Please restart it" },
    });
    await waitForNotificationsIdle();
    const toRequester = mailsTo(requester.email);
    const reply = toRequester.find((m) => m.parsed.subject?.endsWith("New message"))!;
    expect(reply.parsed.subject).toBe(`[#${id}] Printer <b>jam</b> — New message`);
    expect(reply.parsed.text).toContain("Please restart it");
    expect(reply.parsed.text).toContain("Open the ticket");
    // Same root for every mail of the ticket, a different Message-ID for each notification.
    expect(reply.parsed.inReplyTo).toBe(toOperator.parsed.inReplyTo);
    expect(new Set(sink.mails.map((m) => m.parsed.messageId)).size).toBe(sink.mails.length);
    expect(toRequester.find((m) => m.parsed.subject?.includes("assigned"))).toBeTruthy();
  });

  it("retries a delivery the SMTP server refuses, and never sends one twice", async () => {
    const requester = await s.actor("requester");
    const operator = await s.actor("operator");
    const admin = await s.actor("admin");
    const id = (
      await s.inject({
        method: "POST",
        url: "/api/tickets/",
        headers: requester.headers,
        payload: { title: "Retry", description: "" },
      })
    ).json().id;
    await waitForNotificationsIdle();
    sink.rejectNextMails(1);
    await s.inject({
      method: "POST",
      url: "/api/messages/",
      headers: operator.headers,
      payload: { ticket_id: id, text: "one" },
    });
    await waitForNotificationsIdle();
    const log = async () =>
      (
        await s.inject({
          method: "GET",
          url: `/api/admin/notifications/deliveries/?ticket_id=${id}&channel=email`,
          headers: admin.headers,
        })
      ).json().results as {
        id: number;
        status: string;
        attempts: number;
        last_error: string | null;
        kind: string;
      }[];
    const failed = (await log()).find((d) => d.kind === "new_message")!;
    expect(failed).toMatchObject({ status: "retrying", attempts: 1 });
    expect(failed.last_error).toMatch(/451/);
    // pg-boss would run the job again after a backoff; run it now.
    await s.ctx.jobs.runNow("notifications.deliver", { deliveryId: failed.id });
    expect((await log()).find((d) => d.id === failed.id)).toMatchObject({
      status: "sent",
      attempts: 2,
      last_error: null,
    });
    const before = mailsTo(requester.email).length;
    await s.ctx.jobs.runNow("notifications.deliver", { deliveryId: failed.id });
    expect(mailsTo(requester.email).length).toBe(before);
  });

  it("lets the admin configure SMTP without ever seeing the password, and send a test mail", async () => {
    const admin = await s.actor("admin");
    const put = await s.inject({
      method: "PUT",
      url: "/api/admin/email/smtp/",
      headers: admin.headers,
      payload: {
        host: "smtp.example.org",
        port: 465,
        secure: true,
        user: "desk",
        password: "s3cret!",
        from: "Desk <desk@example.org>",
      },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({
      host: "smtp.example.org",
      has_password: true,
      env_overrides: { smtp_url: true, mail_from: true },
    });
    expect(JSON.stringify(put.json())).not.toContain("s3cret");
    const test = await s.inject({
      method: "POST",
      url: "/api/admin/email/test/",
      headers: admin.headers,
      payload: { to: "someone@example.org" },
    });
    expect(test.statusCode).toBe(200);
    expect(test.json().via).toBe("smtp");
    const m = mailsTo("someone@example.org")[0]!;
    expect(m.header("auto-submitted")).toBe("auto-generated");
    const op = await s.actor("operator");
    expect(
      (await s.inject({ method: "GET", url: "/api/admin/email/smtp/", headers: op.headers })).statusCode,
    ).toBe(403);
  });
});
