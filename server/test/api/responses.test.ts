import {
  pageOf,
  ZAdminSettings,
  ZApiTokenResponse,
  ZCategory,
  ZDeliveryPage,
  ZDepartment,
  ZExecutorPage,
  ZHealth,
  ZInboundPage,
  ZLoginResponse,
  ZMailbox,
  ZMailboxList,
  ZMailboxTestResult,
  ZNotification,
  ZNotificationPage,
  ZNotificationPreferences,
  ZOk,
  ZOutboxPage,
  ZPriority,
  ZPublicSettings,
  ZQueue,
  ZReadAllResponse,
  ZSmtpSettings,
  ZSystemStatus,
  ZTestMailResult,
  ZTokenPair,
  ZUploadedAttachment,
  ZUser,
  ZUserPage,
  ZVapidPublicKey,
  ZWatching,
} from "@helpdesk/contracts";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { ingestRawEmail } from "../../src/channels/email/email.inbound.js";
import { notificationDeliveries, notifications } from "../../src/platform/db/schema/index.js";
import { startTestServer, type TTestServer } from "../helpers.js";
import { multipartBody } from "./fuzz-corpus.js";

/*
 * Every answer matches its response schema in contracts exactly: the schemas are strict, so a
 * field the server adds, drops or retypes fails here (and would mislead /api/docs/ and the web).
 */

let s: TTestServer;
let admin: { authorization: string };
beforeAll(async () => {
  s = await startTestServer();
  admin = (await s.actor("admin")).headers;
});
afterAll(async () => {
  await s?.close();
});

function expectAnswer<T extends z.ZodType>(
  res: LightMyRequestResponse,
  status: number,
  schema: T,
): z.infer<T> {
  expect(res.statusCode, res.body).toBe(status);
  const parsed = schema.safeParse(res.json());
  expect(parsed.error?.issues ?? [], res.body).toEqual([]);
  return parsed.data as z.infer<T>;
}

describe("#responses users", () => {
  it("match ZUser, ZUserPage and ZExecutorPage", async () => {
    const op = await s.actor("operator");
    await s.actor("executor");
    expectAnswer(await s.inject({ method: "GET", url: "/api/users/", headers: admin }), 200, ZUserPage);
    expectAnswer(
      await s.inject({ method: "GET", url: "/api/users/executors/", headers: admin }),
      200,
      ZExecutorPage,
    );
    expectAnswer(await s.inject({ method: "GET", url: `/api/users/${op.id}/`, headers: admin }), 200, ZUser);
    const created = expectAnswer(
      await s.inject({
        method: "POST",
        url: "/api/users/",
        headers: admin,
        payload: {
          email: "new.hire@example.com",
          name: "New",
          password: "long-enough-pass",
          role: "executor",
        },
      }),
      201,
      ZUser,
    );
    expectAnswer(
      await s.inject({
        method: "PATCH",
        url: `/api/users/${created.id}/`,
        headers: admin,
        payload: { name: "N" },
      }),
      200,
      ZUser,
    );
    for (const action of ["deactivate", "activate"]) {
      expectAnswer(
        await s.inject({ method: "POST", url: `/api/users/${created.id}/${action}/`, headers: admin }),
        200,
        ZUser,
      );
    }
  });
});

describe("#responses catalog", () => {
  it("match the schema of each kind, and a deactivation answers 204 with no body", async () => {
    const kinds = [
      ["queues", ZQueue, {}],
      ["categories", ZCategory, { sort_order: 3 }],
      ["priorities", ZPriority, { rank: 7 }],
      ["departments", ZDepartment, {}],
    ] as const;
    for (const [kind, item, extra] of kinds) {
      expectAnswer(
        await s.inject({ method: "GET", url: `/api/${kind}/`, headers: admin }),
        200,
        pageOf(item),
      );
      const created = expectAnswer(
        await s.inject({
          method: "POST",
          url: `/api/${kind}/`,
          headers: admin,
          payload: { name_ru: `Новый ${kind}`, name_en: `New ${kind}`, ...extra },
        }),
        201,
        item,
      );
      expectAnswer(
        await s.inject({
          method: "PATCH",
          url: `/api/${kind}/${created.id}/`,
          headers: admin,
          payload: { name_en: "Renamed" },
        }),
        200,
        item,
      );
      const gone = await s.inject({ method: "DELETE", url: `/api/${kind}/${created.id}/`, headers: admin });
      expect(gone.statusCode).toBe(204);
      expect(gone.body).toBe("");
    }
  });

  it("match the settings schemas", async () => {
    expectAnswer(await s.inject({ method: "GET", url: "/api/settings/public/" }), 200, ZPublicSettings);
    expectAnswer(
      await s.inject({ method: "GET", url: "/api/settings/", headers: admin }),
      200,
      ZAdminSettings,
    );
    expectAnswer(
      await s.inject({
        method: "PATCH",
        url: "/api/settings/",
        headers: admin,
        payload: { auto_hide_hours: 5 },
      }),
      200,
      ZAdminSettings,
    );
  });
});

describe("#responses auth", () => {
  it("match ZUser, ZLoginResponse, ZTokenPair and ZApiTokenResponse", async () => {
    const password = "long-enough-pass";
    const registered = expectAnswer(
      await s.inject({
        method: "POST",
        url: "/api/auth/register/",
        payload: { email: "self@example.com", password, name: "Self" },
      }),
      201,
      ZUser,
    );
    const login = expectAnswer(
      await s.inject({
        method: "POST",
        url: "/api/auth/login/",
        payload: { email: registered.email, password },
      }),
      200,
      ZLoginResponse,
    );
    const headers = { authorization: `Bearer ${login.access}` };
    expectAnswer(await s.inject({ method: "GET", url: "/api/auth/profile/", headers }), 200, ZUser);
    expectAnswer(
      await s.inject({ method: "PATCH", url: "/api/auth/profile/", headers, payload: { theme: "dark" } }),
      200,
      ZUser,
    );
    expectAnswer(
      await s.inject({ method: "POST", url: "/api/auth/refresh/", payload: { refresh: login.refresh } }),
      200,
      ZTokenPair,
    );
    expectAnswer(
      await s.inject({
        method: "POST",
        url: "/api/api-token-auth/",
        payload: { email: registered.email, password },
      }),
      200,
      ZApiTokenResponse,
    );
    const wrong = await s.inject({
      method: "POST",
      url: "/api/auth/password/",
      headers,
      payload: { current_password: "not-the-password", new_password: "another-long-pass" },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe("auth.wrong_password");
    const out = await s.inject({ method: "POST", url: "/api/auth/logout/", headers });
    expect(out.statusCode).toBe(204);
    expect(out.body).toBe("");
  });
});

describe("#responses attachments", () => {
  it("match ZUploadedAttachment, and the download is the file", async () => {
    const uploaded = expectAnswer(
      await s.inject({
        method: "POST",
        url: "/api/upload/",
        headers: { ...admin, "content-type": "multipart/form-data; boundary=b" },
        payload: multipartBody("b", [
          { name: "file", filename: "a.txt", type: "text/plain", value: "hello" },
        ]),
      }),
      201,
      ZUploadedAttachment,
    );
    const file = await s.inject({ method: "GET", url: uploaded.url, headers: admin });
    expect(file.statusCode).toBe(200);
    expect(file.body).toBe("hello");
  });
});

describe("#responses notifications", () => {
  it("match the notification, preference, push, watch and delivery-log schemas", async () => {
    const me = await s.actor("operator");
    const headers = me.headers;
    const [n] = await s.ctx.db
      .insert(notifications)
      .values({ userId: me.id, kind: "ticket_created", title: "Hello", body: "World" })
      .returning();
    await s.ctx.db
      .insert(notificationDeliveries)
      .values({ eventId: 1, userId: me.id, channel: "email", kind: "ticket_created" });
    expectAnswer(
      await s.inject({ method: "GET", url: "/api/notifications/", headers }),
      200,
      ZNotificationPage,
    );
    expectAnswer(
      await s.inject({ method: "POST", url: `/api/notifications/${n!.id}/read/`, headers }),
      200,
      ZNotification,
    );
    expectAnswer(
      await s.inject({ method: "POST", url: "/api/notifications/read-all/", headers }),
      200,
      ZReadAllResponse,
    );
    const prefs = expectAnswer(
      await s.inject({ method: "GET", url: "/api/notifications/preferences/", headers }),
      200,
      ZNotificationPreferences,
    );
    expectAnswer(
      await s.inject({
        method: "PUT",
        url: "/api/notifications/preferences/",
        headers,
        payload: { ...prefs, sound: false },
      }),
      200,
      ZNotificationPreferences,
    );
    expectAnswer(
      await s.inject({ method: "GET", url: "/api/push/vapid-public-key/", headers }),
      200,
      ZVapidPublicKey,
    );
    const endpoint = "https://push.example.com/send/abc";
    expectAnswer(
      await s.inject({
        method: "POST",
        url: "/api/push/subscriptions/",
        headers,
        payload: { endpoint, keys: { p256dh: "p256dh-key-0123456789", auth: "auth-key" } },
      }),
      201,
      ZOk,
    );
    const unsubscribed = await s.inject({
      method: "DELETE",
      url: "/api/push/subscriptions/",
      headers,
      payload: { endpoint },
    });
    expect(unsubscribed.statusCode).toBe(204);
    expect(unsubscribed.body).toBe("");
    const requester = await s.actor("requester");
    const ticket = await s.inject({
      method: "POST",
      url: "/api/tickets/",
      headers: requester.headers,
      payload: { title: "Printer" },
    });
    expect(ticket.statusCode).toBe(201);
    const watch = `/api/tickets/${ticket.json().id}/watch/`;
    expectAnswer(await s.inject({ method: "POST", url: watch, headers: requester.headers }), 200, ZWatching);
    expectAnswer(
      await s.inject({ method: "DELETE", url: watch, headers: requester.headers }),
      200,
      ZWatching,
    );
    const log = expectAnswer(
      await s.inject({ method: "GET", url: "/api/admin/notifications/deliveries/", headers: admin }),
      200,
      ZDeliveryPage,
    );
    expect(log.results.length).toBeGreaterThan(0);
    const refused = await s.inject({ method: "GET", url: "/api/admin/notifications/deliveries/", headers });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe("auth.forbidden");
  });
});

describe("#responses e-mail admin", () => {
  it("match the SMTP, test mail, outbox, mailbox and inbound-log schemas", async () => {
    const smtp = { host: "", port: 587, secure: false, user: "", from: "" };
    expectAnswer(
      await s.inject({ method: "GET", url: "/api/admin/email/smtp/", headers: admin }),
      200,
      ZSmtpSettings,
    );
    expectAnswer(
      await s.inject({ method: "PUT", url: "/api/admin/email/smtp/", headers: admin, payload: smtp }),
      200,
      ZSmtpSettings,
    );
    expectAnswer(
      await s.inject({
        method: "POST",
        url: "/api/admin/email/test/",
        headers: admin,
        payload: { to: "a@example.com" },
      }),
      200,
      ZTestMailResult,
    );
    const outbox = expectAnswer(
      await s.inject({ method: "GET", url: "/api/admin/email/outbox/", headers: admin }),
      200,
      ZOutboxPage,
    );
    expect(outbox.results.length).toBeGreaterThan(0);
    const mailbox = expectAnswer(
      await s.inject({
        method: "POST",
        url: "/api/admin/email/mailboxes/",
        headers: admin,
        payload: { name: "Support", host: "127.0.0.1", port: 1, username: "u", password: "p" },
      }),
      201,
      ZMailbox,
    );
    const url = `/api/admin/email/mailboxes/${mailbox.id}/`;
    expectAnswer(
      await s.inject({ method: "GET", url: "/api/admin/email/mailboxes/", headers: admin }),
      200,
      ZMailboxList,
    );
    expectAnswer(await s.inject({ method: "GET", url, headers: admin }), 200, ZMailbox);
    expectAnswer(
      await s.inject({ method: "PATCH", url, headers: admin, payload: { name: "Help" } }),
      200,
      ZMailbox,
    );
    expectAnswer(
      await s.inject({ method: "POST", url: `${url}test/`, headers: admin }),
      200,
      ZMailboxTestResult,
    );
    const raw = Buffer.from(
      [
        "From: someone@example.org",
        "To: support@example.com",
        "Subject: Hi",
        "Message-ID: <resp-1@example.org>",
        "",
        "Hello",
      ].join("\r\n"),
    );
    await ingestRawEmail(
      s.ctx,
      { mailboxId: mailbox.id, queueId: mailbox.queue_id, uidValidity: 1, uid: 1 },
      raw,
    );
    const inbound = expectAnswer(
      await s.inject({ method: "GET", url: "/api/admin/email/inbound/", headers: admin }),
      200,
      ZInboundPage,
    );
    expect(inbound.results.length).toBeGreaterThan(0);
    const gone = await s.inject({ method: "DELETE", url, headers: admin });
    expect(gone.statusCode).toBe(204);
    expect(gone.body).toBe("");
  });
});

describe("#responses system", () => {
  it("health and the status page answer as their schemas say", async () => {
    const health = expectAnswer(await s.inject({ method: "GET", url: "/api/health/" }), 200, ZHealth);
    expect(health).toMatchObject({ status: "ok", database: "ok" });
    const status = expectAnswer(
      await s.inject({ method: "GET", url: "/api/system/status/", headers: admin }),
      200,
      ZSystemStatus,
    );
    expect(status.counts.active_users).toBeGreaterThan(0);
  });
});

describe("#responses /api/docs", () => {
  it("documents an answer of every route", async () => {
    const res = await s.inject({ method: "GET", url: "/api/docs/json" });
    expect(res.statusCode).toBe(200);
    const paths = res.json().paths as Record<string, Record<string, { responses?: Record<string, unknown> }>>;
    const undocumented: string[] = [];
    for (const [path, methods] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(methods)) {
        // Without a response schema fastify-swagger writes a bare "200: Default Response".
        const answers = Object.entries(op.responses ?? {}).filter(([code]) => /^2/.test(code));
        const documented = answers.some(
          ([code, r]) => code === "204" || (r as { content?: unknown }).content,
        );
        if (!documented) undocumented.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(undocumented).toEqual([]);
  });
});
