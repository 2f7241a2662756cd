import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestRawEmail } from "../../src/channels/email/email.inbound.js";
import { waitForNotificationsIdle } from "../../src/modules/notifications/notifications.engine.js";
import { channelAccounts, emailOutbox } from "../../src/platform/db/schema/index.js";
import { startTestServer, type TTestServer } from "../helpers.js";
import { until } from "../wait.js";
import { startSmtpSink } from "./smtp-sink.js";

/** No SMTP_URL here: where mail goes is the SMTP sender account the admin sets up. */
let s: TTestServer;
let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let admin: Record<string, string>;
let operator: Awaited<ReturnType<TTestServer["actor"]>>;
beforeAll(async () => {
  sink = await startSmtpSink({ login: { user: "desk", pass: "pw-Secret-1" } });
  s = await startTestServer({ env: { PUBLIC_URL: "https://desk.example" } });
  admin = (await s.actor("admin")).headers;
  operator = await s.actor("operator", [1]);
});
afterAll(async () => {
  await s?.close();
  await sink?.close();
});

const smtp = async () =>
  (await s.inject({ method: "GET", url: "/api/admin/email/smtp/", headers: admin })).json();
const putSmtp = (payload: Record<string, unknown>) =>
  s.inject({ method: "PUT", url: "/api/admin/email/smtp/", headers: admin, payload });
const smtpAccounts = async () =>
  (await s.inject({ method: "GET", url: "/api/admin/channels/accounts/?kind=smtp", headers: admin })).json();
const testMail = (to: string) =>
  s.inject({ method: "POST", url: "/api/admin/email/test/", headers: admin, payload: { to } });
const sinkSettings = {
  host: "127.0.0.1",
  port: 0,
  secure: false,
  user: "desk",
  from: "Desk <desk@example.org>",
};

/** A customer's mail made into a ticket, so that staff replies go back by mail. */
async function mailTicket(uid: number): Promise<number> {
  const mailbox = (
    await s.inject({
      method: "POST",
      url: "/api/admin/email/mailboxes/",
      headers: admin,
      payload: {
        name: `In ${uid}`,
        host: "127.0.0.1",
        port: 1,
        username: "u",
        password: "p",
        is_enabled: false,
      },
    })
  ).json();
  const result = await ingestRawEmail(
    s.ctx,
    { mailboxId: mailbox.id, queueId: mailbox.queue_id, uidValidity: 1, uid },
    Buffer.from(
      [
        "From: Ivan <ivan@example.org>",
        "To: desk@example.org",
        `Subject: Request ${uid}`,
        `Message-ID: <req-${uid}@example.org>`,
        "",
        "Please help",
      ].join("\r\n"),
    ),
  );
  return (result as { ticketId: number }).ticketId;
}

describe("#email the SMTP sender is a channel account", () => {
  it("keeps mail in the outbox until a sender is set up, then sends through it; one sender, password sealed", async () => {
    expect(await smtp()).toMatchObject({ delivery: "outbox", account_id: null, host: "" });
    expect((await testMail("first@example.org")).json().via).toBe("outbox");

    const put = await putSmtp({ ...sinkSettings, port: sink.port, password: "pw-Secret-1" });
    expect(put.statusCode, put.body).toBe(200);
    const saved = put.json();
    expect(saved).toMatchObject({ delivery: "smtp", host: "127.0.0.1", has_password: true });
    expect(typeof saved.account_id).toBe("number");

    // Admin → Channels shows it, started, with its secret hidden; the row keeps it sealed.
    const listed = await smtpAccounts();
    expect(listed.results).toHaveLength(1);
    expect(listed.results[0]).toMatchObject({
      id: saved.account_id,
      kind: "smtp",
      is_enabled: true,
      state: "running",
      config: { host: "127.0.0.1", port: sink.port, user: "desk", password: "********" },
    });
    const [row] = await s.ctx.db
      .select()
      .from(channelAccounts)
      .where(eq(channelAccounts.id, saved.account_id));
    expect(JSON.stringify(row!.config)).not.toContain("pw-Secret-1");

    // Saving again changes the one sender (the password kept), it does not add a second.
    const again = await putSmtp({ ...sinkSettings, port: sink.port, from: "Help <help@example.org>" });
    expect(again.json()).toMatchObject({
      account_id: saved.account_id,
      has_password: true,
      from: "Help <help@example.org>",
    });
    expect((await smtpAccounts()).results).toHaveLength(1);

    const sent = await testMail("second@example.org");
    expect(sent.json().via).toBe("smtp");
    const mail = sink.mails.find((m) => m.to.includes("second@example.org"));
    expect(mail?.parsed.from?.text).toContain("help@example.org");
    const account = (await smtpAccounts()).results[0];
    expect(account.last_activity_at).not.toBeNull();
  });

  it("holds replies while the sender is stopped, says why, and sends them once it is started and retried", async () => {
    const { account_id: id } = await smtp();
    const ticketId = await mailTicket(1);
    const stop = await s.inject({
      method: "POST",
      url: `/api/admin/channels/accounts/${id}/stop/`,
      headers: admin,
    });
    expect(stop.statusCode, stop.body).toBe(200);
    expect(stop.json()).toMatchObject({ is_enabled: false, state: "stopped" });
    expect(await smtp()).toMatchObject({ delivery: "stopped" });

    const refused = await testMail("third@example.org");
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe("email.smtp_stopped");

    const outboxBefore = (await s.ctx.db.select().from(emailOutbox)).length;
    const mailsBefore = sink.mails.length;
    const res = await s.inject({
      method: "POST",
      url: "/api/messages/",
      headers: operator.headers,
      payload: { ticket_id: ticketId, text: "We are on it" },
    });
    expect(res.statusCode, res.body).toBe(201);
    const messageId = res.json().id as number;
    await waitForNotificationsIdle();
    const held = await until(
      async () =>
        (
          await s.inject({ method: "GET", url: `/api/messages/${messageId}/`, headers: operator.headers })
        ).json(),
      (m) => m.delivery?.state === "retrying" || m.delivery?.state === "failed",
    );
    expect(held.delivery.last_error).toMatch(/stopped/i);
    // Nothing went anywhere: not to the server, not quietly into the outbox.
    expect(sink.mails.length).toBe(mailsBefore);
    expect((await s.ctx.db.select().from(emailOutbox)).length).toBe(outboxBefore);

    await s.inject({ method: "POST", url: `/api/admin/channels/accounts/${id}/start/`, headers: admin });
    const retry = await s.inject({
      method: "POST",
      url: `/api/messages/${messageId}/retry-delivery/`,
      headers: operator.headers,
    });
    expect(retry.statusCode, retry.body).toBeLessThan(300);
    const toIvan = await until(
      async () => sink.mails.filter((m) => m.to.includes("ivan@example.org")),
      (list) => list.length > 0,
    );
    expect(toIvan[0]!.parsed.text).toContain("We are on it");
  });

  it("shows a refusing server as the sender's last error, and clears it when mail goes through again", async () => {
    sink.rejectNextMails(1);
    expect((await testMail("fourth@example.org")).statusCode).toBe(502);
    expect((await smtpAccounts()).results[0].last_error).toMatch(/451/);
    expect((await testMail("fifth@example.org")).json().via).toBe("smtp");
    expect((await smtpAccounts()).results[0].last_error).toBeNull();
  });

  it("removes the sender when the host is emptied: mail goes to the outbox again", async () => {
    const cleared = await putSmtp({ ...sinkSettings, port: 587, host: "" });
    expect(cleared.json()).toMatchObject({ delivery: "outbox", account_id: null, host: "" });
    expect((await smtpAccounts()).results).toHaveLength(0);
    expect((await testMail("sixth@example.org")).json().via).toBe("outbox");
  });
});
