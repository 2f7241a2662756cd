import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChannelRuntime, startChannelRuntime } from "../../src/channels/channels.runtime.js";
import { findMailboxes } from "../../src/channels/email/email.accounts.js";
import { createEmailDriver } from "../../src/channels/email/email.driver.js";
import { ingestRawEmail } from "../../src/channels/email/email.inbound.js";
import type { TMailboxHooks } from "../../src/channels/email/imap.worker.js";
import { waitForNotificationsIdle } from "../../src/modules/notifications/notifications.engine.js";
import {
  attachments,
  inboundItems,
  ticketMessages,
  tickets,
  users,
} from "../../src/platform/db/schema/index.js";
import { startTestServer, type TTestServer } from "../helpers.js";
import { startDovecot, type TDovecot } from "./dovecot.js";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));

let s: TTestServer;
let dovecot: TDovecot;
let runtime: ChannelRuntime | undefined;
let admin: Awaited<ReturnType<TTestServer["actor"]>>;
const hooks: TMailboxHooks = {};
const email = createEmailDriver({ pollMs: 300, hooks });

beforeAll(async () => {
  dovecot = await startDovecot();
  s = await startTestServer({
    env: { IMAP_URL: dovecot.url, MAIL_FROM: "Support <support@helpdesk.example>" },
    drivers: [email],
  });
  admin = await s.actor("admin");
  // The mailboxes are read as in a worker process: under the channel runtime's lease.
  runtime = startChannelRuntime(s.ctx, s.ctx.channels, { owner: "imap-test", leaseMs: 5000, scanMs: 200 });
});
afterAll(async () => {
  await runtime?.stop();
  await s?.close();
  await dovecot?.close();
});

const firstMailbox = async () => (await findMailboxes(s.ctx.db))[0]!;
const mailboxId = async () => (await firstMailbox()).id;
const inbound = async (messageId: string) =>
  (await s.ctx.db.select().from(inboundItems).where(eq(inboundItems.externalId, messageId)))[0];

/** Waits until `check` returns a value (the worker runs on its own). */
async function eventually<T>(check: () => Promise<T | undefined | null | false>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) {
      const boxes = await findMailboxes(s.ctx.db);
      const stats = [...email.runners.values()].map((r) => r.stats);
      throw new Error(
        `condition not met in time; mailboxes ${JSON.stringify(boxes.map((b) => [b.lastError, b.lastFetchAt, b.lastUid]))} runners ${JSON.stringify(stats)}`,
      );
    }
    email.kickAll();
    await new Promise((r) => setTimeout(r, 100));
  }
}
const ingested = (messageId: string) => eventually(() => inbound(messageId));

const mail = (o: { from: string; subject: string; id: string; body: string; headers?: string[] }) =>
  [
    `From: ${o.from}`,
    "To: support@example.com",
    `Subject: ${o.subject}`,
    `Message-ID: ${o.id}`,
    "Date: Tue, 5 Nov 2024 09:00:00 +0000",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    ...(o.headers ?? []),
    "",
    o.body,
    "",
  ].join("\r\n");

describe("#email inbound over IMAP (Dovecot)", () => {
  it("maps IMAP_URL to a mailbox on the From e-mail queue and shows it to the admin", async () => {
    const res = await s.inject({ method: "GET", url: "/api/admin/email/mailboxes/", headers: admin.headers });
    expect(res.statusCode).toBe(200);
    const [m] = res.json().results;
    expect(m).toMatchObject({
      source: "env",
      host: "127.0.0.1",
      port: dovecot.port,
      tls: false,
      folder: "INBOX",
      has_password: true,
    });
    expect(JSON.stringify(res.json())).not.toContain(dovecot.pass);
    const test = await s.inject({
      method: "POST",
      url: `/api/admin/email/mailboxes/${m.id}/test/`,
      headers: admin.headers,
    });
    expect(test.json()).toMatchObject({ ok: true, idle: true });
  });

  it("turns a new mail into a ticket from a guest requester, and marks it seen only once stored", async () => {
    const uid = await dovecot.append(
      mail({
        from: "Пётр <petr@client.example>",
        subject: "Не работает почта",
        id: "<new-1@client.example>",
        body: "Outlook не отправляет письма.\r\n\r\n-- \r\nПётр, бухгалтерия",
      }),
    );
    const row = await ingested("<new-1@client.example>");
    expect(row).toMatchObject({
      status: "ticket",
      channel: "email",
      deliveryKey: expect.stringMatching(`:${uid}$`),
    });
    const [t] = await s.ctx.db.select().from(tickets).where(eq(tickets.id, row.ticketId!));
    expect(t).toMatchObject({
      title: "Не работает почта",
      description: "Outlook не отправляет письма.",
      source: "email",
    });
    const [u] = await s.ctx.db.select().from(users).where(eq(users.id, t!.requesterId));
    expect(u).toMatchObject({
      email: "petr@client.example",
      name: "Пётр",
      isGuest: true,
      role: "requester",
      passwordHash: null,
    });
    const [q] = await s.ctx.db
      .execute<{ slug: string }>(sql`SELECT slug FROM queues WHERE id = ${t!.queueId}`)
      .then((r) => r.rows);
    expect(q!.slug).toBe("email");
    // The original .eml is kept and linked.
    const [raw] = await s.ctx.db
      .select()
      .from(attachments)
      .where(eq(attachments.id, row.originalAttachmentId!));
    expect(raw).toMatchObject({ contentType: "message/rfc822", ticketId: t!.id });
    await eventually(async () => (await dovecot.flags()).get(uid)?.has("\\Seen"));
    const mb = await s.inject({
      method: "GET",
      url: `/api/admin/email/mailboxes/${await mailboxId()}/`,
      headers: admin.headers,
    });
    expect(mb.json().last_fetch_at).not.toBeNull();
    expect(mb.json().last_error).toBeNull();
    expect(mb.json().state).toBe("running");

    // The guest claims the account by registering with the same address.
    const reg = await s.inject({
      method: "POST",
      url: "/api/auth/register/",
      payload: { email: "petr@client.example", password: "long-enough-pass", name: "Пётр" },
    });
    expect(reg.statusCode).toBe(201);
    expect(reg.json().id).toBe(t!.requesterId);
  });

  it("threads a reply by In-Reply-To to our notification, trimming the quoted history", async () => {
    await dovecot.append(
      mail({
        from: "anna@client.example",
        subject: "VPN",
        id: "<thread-1@client.example>",
        body: "VPN drops",
      }),
    );
    const first = await ingested("<thread-1@client.example>");
    const operator = await s.actor("operator");
    await waitForNotificationsIdle();
    // Staff answers; the requester gets the reply by e-mail (outbox: no SMTP here) with our Message-ID.
    await s.inject({
      method: "POST",
      url: "/api/messages/",
      headers: operator.headers,
      payload: { ticket_id: first.ticketId, text: "Try again now" },
    });
    await waitForNotificationsIdle();
    const out = (await s.inject({ method: "GET", url: "/api/admin/email/outbox/", headers: admin.headers }))
      .json()
      .results.find((m: { to: string }) => m.to === "anna@client.example");
    expect(out.subject).toBe(`Re: [#${first.ticketId}] VPN`);
    expect(out.headers["In-Reply-To"]).toBe("<thread-1@client.example>");
    await dovecot.append(
      mail({
        from: "Anna <ANNA@client.example>",
        subject: "Re: something else entirely",
        id: "<thread-2@client.example>",
        headers: [
          `In-Reply-To: ${out.message_id}`,
          `References: <thread-1@client.example> ${out.message_id}`,
        ],
        body: "Works now, thanks!\r\n\r\nOn Tue, 5 Nov 2024 at 10:00, Support <support@helpdesk.example> wrote:\r\n> Try again now\r\n",
      }),
    );
    const reply = await ingested("<thread-2@client.example>");
    expect(reply).toMatchObject({ status: "reply", ticketId: first.ticketId });
    const [m] = await s.ctx.db
      .select()
      .from(ticketMessages)
      .where(eq(ticketMessages.id, reply.ticketMessageId!));
    expect(m).toMatchObject({ body: "Works now, thanks!", source: "email", isInternal: false });
  });

  it("threads by [#N] in the subject only for the requester or staff who may see the ticket", async () => {
    await dovecot.append(
      mail({
        from: "olga@client.example",
        subject: "Monitor",
        id: "<subj-1@client.example>",
        body: "Flickers",
      }),
    );
    const first = await ingested("<subj-1@client.example>");
    await dovecot.append(
      mail({
        from: "olga@client.example",
        subject: `Re: [#${first.ticketId}] Monitor`,
        id: "<subj-2@client.example>",
        body: "Still flickers",
      }),
    );
    expect(await ingested("<subj-2@client.example>")).toMatchObject({
      status: "reply",
      ticketId: first.ticketId,
    });
    await dovecot.append(
      mail({
        from: "stranger@evil.example",
        subject: `[#${first.ticketId}] let me in`,
        id: "<subj-3@evil.example>",
        body: "hi",
      }),
    );
    const stranger = await ingested("<subj-3@evil.example>");
    expect(stranger.status).toBe("ticket");
    expect(stranger.ticketId).not.toBe(first.ticketId);
  });

  it("decodes KOI8-R, Windows-1251 and raw 8-bit headers, and converts HTML to safe text", async () => {
    for (const f of [
      "koi8r.eml",
      "win1251-qp.eml",
      "eightbit-header-1251.eml",
      "html-only.eml",
      "no-subject.eml",
    ])
      await dovecot.append(fixture(f));
    const title = async (id: string) => {
      const row = await ingested(id);
      const [t] = await s.ctx.db.select().from(tickets).where(eq(tickets.id, row.ticketId!));
      return t!;
    };
    const koi = await title("<koi8r-1@example.org>");
    expect(koi.title).toBe("Не печатает принтер");
    expect(koi.description).toContain("Принтер на 3 этаже не печатает.");
    const win = await title("<win1251-1@example.org>");
    expect(win.title).toBe("Ошибка 1С");
    expect(win.description).toContain("не работает 1С");
    expect((await title("<eightbit-1@example.org>")).title).toBe("Сломалась мышь");
    const html = await title("<html-1@example.net>");
    expect(html.description).toContain("The VPN & Wi-Fi are down.");
    expect(html.description).not.toMatch(/<script|alert\(|onerror/);
    const nosubj = await title("<nosubj-1@example.org>");
    expect(nosubj.title).toBe("(no subject)");
    expect(nosubj.description).toBe("Help please");
  });

  it("keeps attachments, rejects executables and oversize files with a logged reason", async () => {
    await dovecot.append(fixture("with-attachment.eml"));
    const row = await ingested("<att-1@example.org>");
    const files = await s.ctx.db.select().from(attachments).where(eq(attachments.ticketId, row.ticketId!));
    expect(files.map((f) => f.filename).sort()).toEqual(
      [`original-${row.deliveryKey!.split(":")[1]}.eml`, "screen.png"].sort(),
    );
    expect(row.rejectedFiles).toEqual([
      expect.objectContaining({ filename: "tool.exe", reason: expect.stringMatching(/executable/) }),
    ]);
    const [t] = await s.ctx.db.select().from(tickets).where(eq(tickets.id, row.ticketId!));
    expect(t!.description).toContain("[tool.exe: executable files are not accepted]");

    const big = Buffer.alloc(26 * 1024 * 1024, 7)
      .toString("base64")
      .replace(/.{76}/g, "$&\r\n");
    await dovecot.append(
      [
        "From: big@client.example",
        "Subject: Huge scan",
        "Message-ID: <big-1@client.example>",
        'Content-Type: multipart/mixed; boundary="B"',
        "",
        "--B",
        "Content-Type: text/plain",
        "",
        "Scan attached",
        "--B",
        'Content-Type: application/pdf; name="scan.pdf"',
        "Content-Transfer-Encoding: base64",
        "",
        big,
        "--B--",
        "",
      ].join("\r\n"),
    );
    const bigRow = await ingested("<big-1@client.example>");
    expect(bigRow.status).toBe("ticket");
    expect(bigRow.rejectedFiles).toEqual([
      expect.objectContaining({ filename: "scan.pdf", reason: expect.stringMatching(/larger than/) }),
    ]);
  });

  it("never makes tickets from auto-replies, bounces, lists or our own mail, and records why", async () => {
    for (const f of ["autoreply.eml", "bounce.eml", "list.eml", "outlook-suppress.eml"])
      await dovecot.append(fixture(f));
    await dovecot.append(
      mail({
        from: "support@helpdesk.example",
        subject: "[#1] loop",
        id: "<own-1@helpdesk.example>",
        body: "x",
      }),
    );
    const reasons = await Promise.all(
      [
        "<auto-1@example.org>",
        "<bounce-1@mx.example.org>",
        "<list-1@example.org>",
        "<suppress-1@example.org>",
        "<own-1@helpdesk.example>",
      ].map(async (id) => {
        const r = await ingested(id);
        expect(r.status).toBe("ignored");
        expect(r.ticketId).toBeNull();
        return r.reason;
      }),
    );
    expect(reasons).toEqual(
      [
        "Auto-Submitted: auto-replied",
        "X-Auto-Response-Suppress present",
        "Precedence: list",
        "X-Auto-Response-Suppress present",
        "sent by this help desk",
      ].map((r, i) => (i === 1 ? expect.stringMatching(/Return-Path|MAILER-DAEMON|report/i) : r)),
    );
    const log = await s.inject({
      method: "GET",
      url: "/api/admin/email/inbound/?status=ignored",
      headers: admin.headers,
    });
    expect(log.json().results.length).toBeGreaterThanOrEqual(5);
  });

  it("stores malformed MIME as well as it can, without blocking the mailbox", async () => {
    await dovecot.append(fixture("malformed.eml"));
    await dovecot.append(
      mail({
        from: "after@client.example",
        subject: "After the broken one",
        id: "<after-1@client.example>",
        body: "ok",
      }),
    );
    expect((await ingested("<after-1@client.example>")).status).toBe("ticket");
    // Stored concurrently: the broken one may finish after the next one.
    const rows = await eventually(async () => {
      const r = await s.ctx.db
        .select()
        .from(inboundItems)
        .where(eq(inboundItems.sender, "broken@example.org"));
      return r.length > 0 && r;
    });
    expect(rows).toHaveLength(1);
    expect(["ticket", "rejected"]).toContain(rows[0]!.status);
  });

  it("ingests each mail exactly once across a dropped connection mid-fetch", async () => {
    let dropped = false;
    hooks.afterStore = (uid, runner) => {
      if (!dropped && uid >= 0) {
        dropped = true;
        // Stored but not yet marked \Seen: the reconnect fetches it again.
        runner.dropConnection();
      }
    };
    const ids = Array.from({ length: 8 }, (_, i) => `<drop-${i}@client.example>`);
    for (const id of ids)
      await dovecot.append(mail({ from: "drop@client.example", subject: `Drop ${id}`, id, body: "x" }));
    for (const id of ids) await ingested(id);
    hooks.afterStore = undefined;
    expect(dropped).toBe(true);
    const n = await s.ctx.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM tickets WHERE title LIKE 'Drop <drop-%'`,
    );
    expect(Number(n.rows[0]!.n)).toBe(8);
    await eventually(async () => {
      const flags = await dovecot.flags();
      return [...flags.values()].every((f) => f.has("\\Seen"));
    });
  });

  it("ingests each mail exactly once across a Dovecot restart", async () => {
    let restarted: Promise<void> | undefined;
    hooks.afterStore = () => {
      if (!restarted) restarted = dovecot.restart();
    };
    const ids = Array.from({ length: 6 }, (_, i) => `<restart-${i}@client.example>`);
    for (const id of ids)
      await dovecot.append(mail({ from: "restart@client.example", subject: `Restart ${id}`, id, body: "x" }));
    await eventually(async () => restarted !== undefined);
    await restarted;
    for (const id of ids) await ingested(id);
    hooks.afterStore = undefined;
    const n = await s.ctx.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM tickets WHERE title LIKE 'Restart <restart-%'`,
    );
    expect(Number(n.rows[0]!.n)).toBe(6);
    const mb = await firstMailbox();
    expect(mb.lastUid).toBeGreaterThan(0);
  });

  it("waits out a database outage while storing a mail, without counting it as a failed try", async () => {
    let outageCalls = 0;
    hooks.beforeStore = () => {
      // More than the three tries a broken mail gets: an outage must not use them up.
      if (outageCalls < 5) {
        outageCalls += 1;
        throw Object.assign(new Error("terminating connection due to administrator command"), {
          code: "57P01",
        });
      }
    };
    const id = "<outage-1@client.example>";
    await dovecot.append(mail({ from: "outage@client.example", subject: "During an outage", id, body: "x" }));
    const row = await eventually(async () => {
      const r = await inbound(id);
      return r?.status === "ticket" ? r : undefined;
    }, 90_000);
    hooks.beforeStore = undefined;
    expect(outageCalls).toBe(5);
    expect(row.reason).toBeNull();
  }, 120_000);

  it("records a second delivery of the same Message-ID once (ingest is idempotent)", async () => {
    const raw = Buffer.from(
      mail({ from: "dup@client.example", subject: "Dup", id: "<dup-1@client.example>", body: "x" }),
    );
    const target = {
      mailboxId: await mailboxId(),
      queueId: (await firstMailbox()).queueId,
      uidValidity: 1,
      uid: 999_001,
    };
    expect((await ingestRawEmail(s.ctx, target, raw)).status).toBe("ticket");
    expect((await ingestRawEmail(s.ctx, target, raw)).status).toBe("duplicate");
    expect((await ingestRawEmail(s.ctx, { ...target, uid: 999_002 }, raw)).status).toBe("duplicate");
    const rows = await s.ctx.db
      .select()
      .from(inboundItems)
      .where(and(eq(inboundItems.externalId, "<dup-1@client.example>")));
    expect(rows).toHaveLength(1);
  });

  it("lets the admin add, test, change and remove mailboxes", async () => {
    const created = await s.inject({
      method: "POST",
      url: "/api/admin/email/mailboxes/",
      headers: admin.headers,
      payload: {
        name: "Wrong password",
        host: "127.0.0.1",
        port: dovecot.port,
        tls: false,
        username: dovecot.user,
        password: "nope",
        is_enabled: false,
      },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    const test = await s.inject({
      method: "POST",
      url: `/api/admin/email/mailboxes/${id}/test/`,
      headers: admin.headers,
    });
    expect(test.json().ok).toBe(false);
    expect(
      (
        await s.inject({ method: "GET", url: `/api/admin/email/mailboxes/${id}/`, headers: admin.headers })
      ).json().last_error,
    ).toBeTruthy();
    const patched = await s.inject({
      method: "PATCH",
      url: `/api/admin/email/mailboxes/${id}/`,
      headers: admin.headers,
      payload: { password: dovecot.pass },
    });
    expect(patched.statusCode).toBe(200);
    const t2 = (
      await s.inject({
        method: "POST",
        url: `/api/admin/email/mailboxes/${id}/test/`,
        headers: admin.headers,
      })
    ).json();
    expect(t2.ok).toBe(true);
    expect(
      (await s.inject({ method: "DELETE", url: `/api/admin/email/mailboxes/${id}/`, headers: admin.headers }))
        .statusCode,
    ).toBe(204);
    const envBox = await mailboxId();
    expect(
      (
        await s.inject({
          method: "DELETE",
          url: `/api/admin/email/mailboxes/${envBox}/`,
          headers: admin.headers,
        })
      ).statusCode,
    ).toBe(409);
  });
});
