import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForNotificationsIdle } from "../../src/modules/notifications/notifications.engine.js";
import { createTicket } from "../../src/modules/tickets/tickets.usecases.js";
import type { TDomainEvent } from "../../src/platform/bus.js";
import { startTestServer, type TTestServer } from "../helpers.js";
import { startFakePushService } from "./fake-push.js";

let s: TTestServer;
let push: Awaited<ReturnType<typeof startFakePushService>>;
const published: TDomainEvent[] = [];
let requester: Awaited<ReturnType<TTestServer["actor"]>>;
let operator: Awaited<ReturnType<TTestServer["actor"]>>;
let executor: Awaited<ReturnType<TTestServer["actor"]>>;
let admin: Awaited<ReturnType<TTestServer["actor"]>>;

beforeAll(async () => {
  s = await startTestServer();
  push = await startFakePushService();
  s.ctx.bus.subscribe((e) => {
    if (e.type === "notification_created") published.push(e);
  });
  requester = await s.actor("requester");
  operator = await s.actor("operator");
  executor = await s.actor("executor");
  admin = await s.actor("admin");
});
afterAll(async () => {
  await push?.close();
  await s?.close();
});

const list = async (who: { headers: { authorization: string } }, query = "") => {
  await waitForNotificationsIdle();
  const res = await s.inject({ method: "GET", url: `/api/notifications/${query}`, headers: who.headers });
  expect(res.statusCode).toBe(200);
  return res.json() as {
    results: { id: number; kind: string; ticket_id: number; title: string; read_at: string | null }[];
    next: string | null;
    unread_count: number;
  };
};
const deliveries = async (eventId?: number) => {
  await waitForNotificationsIdle();
  const res = await s.inject({
    method: "GET",
    url: `/api/admin/notifications/deliveries/?limit=200${eventId ? `&event_id=${eventId}` : ""}`,
    headers: admin.headers,
  });
  expect(res.statusCode).toBe(200);
  return res.json().results as {
    user_id: number;
    channel: string;
    status: string;
    kind: string;
    event_id: number;
    attempts: number;
  }[];
};
const newTicket = async (title: string) => {
  const res = await s.inject({
    method: "POST",
    url: "/api/tickets/",
    headers: requester.headers,
    payload: { title, description: "Описание" },
  });
  expect(res.statusCode).toBe(201);
  return res.json().id as number;
};

describe("#notifications engine", () => {
  it("tells the queue's operators about a new ticket, in the app and by e-mail, but not the requester who filed it", async () => {
    const id = await newTicket("Не работает VPN");
    const mine = await list(operator);
    expect(mine.results[0]).toMatchObject({ kind: "ticket_created", ticket_id: id });
    expect(mine.results[0]!.title).toContain(`#${id}`);
    expect(mine.unread_count).toBeGreaterThan(0);
    expect((await list(requester)).results).toHaveLength(0);
    const ds = (await deliveries()).filter((d) => d.kind === "ticket_created");
    expect(ds.some((d) => d.user_id === operator.id && d.channel === "email" && d.status === "sent")).toBe(
      true,
    );
    expect(ds.some((d) => d.user_id === requester.id)).toBe(false);
    // No SMTP configured: the mail waits in the outbox.
    const outbox = await s.inject({ method: "GET", url: "/api/admin/email/outbox/", headers: admin.headers });
    expect(
      outbox
        .json()
        .results.some(
          (m: { to: string; subject: string }) => m.to === operator.email && m.subject.startsWith(`[#${id}]`),
        ),
    ).toBe(true);
    expect(published.some((e) => e.type === "notification_created" && e.userId === operator.id)).toBe(true);
  });

  it("tells the executor and the requester about an assignment, never the operator who did it", async () => {
    const id = await newTicket("Принтер");
    await waitForNotificationsIdle();
    const res = await s.inject({
      method: "POST",
      url: `/api/tickets/${id}/assign/`,
      headers: operator.headers,
      payload: { executor_id: executor.id },
    });
    expect(res.statusCode).toBe(200);
    expect((await list(executor)).results[0]).toMatchObject({ kind: "ticket_assigned", ticket_id: id });
    expect((await list(requester)).results[0]).toMatchObject({ kind: "ticket_assigned", ticket_id: id });
    expect((await list(operator)).results.filter((n) => n.kind === "ticket_assigned")).toHaveLength(0);
  });

  it("never tells a requester about an internal note", async () => {
    const id = await newTicket("Заметка");
    await s.inject({
      method: "POST",
      url: `/api/tickets/${id}/assign/`,
      headers: operator.headers,
      payload: { executor_id: executor.id },
    });
    const before = (await list(requester)).results.length;
    const note = await s.inject({
      method: "POST",
      url: "/api/notes/",
      headers: operator.headers,
      payload: { ticket_id: id, text: "секрет" },
    });
    expect(note.statusCode).toBe(201);
    expect((await list(requester)).results.length).toBe(before);
    expect((await list(executor)).results[0]).toMatchObject({ kind: "new_note", ticket_id: id });
  });

  it("follows per-event, per-channel preferences, validated strictly", async () => {
    const got = await s.inject({
      method: "GET",
      url: "/api/notifications/preferences/",
      headers: requester.headers,
    });
    expect(got.statusCode).toBe(200);
    const prefs = got.json();
    expect(prefs).toMatchObject({
      sound: true,
      events: { new_message: { email: true, in_app: true, web_push: true, telegram: true } },
    });
    const bad = await s.inject({
      method: "PUT",
      url: "/api/notifications/preferences/",
      headers: requester.headers,
      payload: { ...prefs, events: { ...prefs.events, bogus: {} } },
    });
    expect(bad.statusCode).toBe(400);
    prefs.events.new_message.email = false;
    prefs.sound = false;
    const put = await s.inject({
      method: "PUT",
      url: "/api/notifications/preferences/",
      headers: requester.headers,
      payload: prefs,
    });
    expect(put.statusCode).toBe(200);
    expect(
      (
        await s.inject({ method: "GET", url: "/api/notifications/preferences/", headers: requester.headers })
      ).json(),
    ).toEqual(prefs);

    const id = await newTicket("Ответ без почты");
    const reply = await s.inject({
      method: "POST",
      url: "/api/messages/",
      headers: operator.headers,
      payload: { ticket_id: id, text: "Перезагрузите" },
    });
    expect(reply.statusCode).toBe(201);
    const ds = (await deliveries()).filter((d) => d.kind === "new_message" && d.user_id === requester.id);
    expect(ds.map((d) => d.channel).sort()).toEqual(["in_app"]);
  });

  it("marks one and all notifications read", async () => {
    const page = await list(operator, "?unread=true");
    expect(page.results.length).toBeGreaterThan(1);
    const one = await s.inject({
      method: "POST",
      url: `/api/notifications/${page.results[0]!.id}/read/`,
      headers: operator.headers,
    });
    expect(one.statusCode).toBe(200);
    expect(one.json().read_at).not.toBeNull();
    expect((await list(operator, "?unread=true")).unread_count).toBe(page.unread_count - 1);
    const other = await s.inject({
      method: "POST",
      url: `/api/notifications/${page.results[1]!.id}/read/`,
      headers: requester.headers,
    });
    expect(other.statusCode).toBe(404);
    await s.inject({ method: "POST", url: "/api/notifications/read-all/", headers: operator.headers });
    expect((await list(operator, "?unread=true")).unread_count).toBe(0);
    const paged = await list(operator, "?limit=1");
    expect(paged.results).toHaveLength(1);
    expect(paged.next).toBeTruthy();
  });

  it("fans an event out once, and the sweep finds events whose fast path was lost", async () => {
    // A ticket created without publishing (the process "died" right after the commit).
    const emitted: TDomainEvent[] = [];
    const actor = {
      id: requester.id,
      role: "requester" as const,
      email: requester.email,
      name: "R",
      language: "ru" as const,
      departmentIds: [],
      queueIds: [],
      sessionId: null,
      apiTokenId: null,
    };
    await s.ctx.db.transaction((tx) =>
      createTicket(tx, (e) => emitted.push(e), actor, {
        title: "Потерянное событие",
        description: "",
        attachment_ids: [],
      }),
    );
    const created = emitted[0];
    if (created?.type !== "created") throw new Error("no created event");
    const eventId = created.eventId!;
    expect(await deliveries(eventId)).toHaveLength(0);
    await s.ctx.jobs.runNow("notifications.sweep");
    const first = await deliveries(eventId);
    expect(first.length).toBeGreaterThan(0);
    await s.ctx.jobs.runNow("notifications.fan-out", { eventId });
    await s.ctx.jobs.runNow("notifications.sweep");
    expect(await deliveries(eventId)).toHaveLength(first.length);
  });

  it("is admin-only for the delivery log", async () => {
    const res = await s.inject({
      method: "GET",
      url: "/api/admin/notifications/deliveries/",
      headers: operator.headers,
    });
    expect(res.statusCode).toBe(403);
  });

  it("lets a watcher follow a ticket", async () => {
    const id = await newTicket("Наблюдатель");
    const other = await s.actor("operator");
    expect(
      (await s.inject({ method: "POST", url: `/api/tickets/${id}/watch/`, headers: other.headers }))
        .statusCode,
    ).toBe(200);
    await s.inject({
      method: "PATCH",
      url: `/api/tickets/${id}/`,
      headers: operator.headers,
      payload: { status: "in_progress" },
    });
    expect((await list(other)).results[0]).toMatchObject({ kind: "status_changed", ticket_id: id });
  });
});

describe("#notifications web push", () => {
  it("serves a VAPID key, pushes to a subscription and drops it when the service says 410", async () => {
    const key = await s.inject({
      method: "GET",
      url: "/api/push/vapid-public-key/",
      headers: requester.headers,
    });
    expect(key.statusCode).toBe(200);
    expect(key.json().public_key).toMatch(/^[A-Za-z0-9_-]{80,}$/);
    const again = await s.inject({
      method: "GET",
      url: "/api/push/vapid-public-key/",
      headers: operator.headers,
    });
    expect(again.json().public_key).toBe(key.json().public_key);
    const { rows } = await s.ctx.db.execute<{ value: { private_key_enc: string } }>(
      sql`SELECT value FROM settings WHERE key = 'push.vapid'`,
    );
    expect(rows[0]!.value.private_key_enc).toMatch(/^v1\./);

    // A real browser's key pair (P-256) and auth secret.
    const { createECDH, randomBytes } = await import("node:crypto");
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    const keys = {
      p256dh: ecdh.getPublicKey().toString("base64url"),
      auth: randomBytes(16).toString("base64url"),
    };
    const sub = await s.inject({
      method: "POST",
      url: "/api/push/subscriptions/",
      headers: requester.headers,
      payload: { endpoint: push.endpoint("/push/a"), keys },
    });
    expect(sub.statusCode).toBe(201);

    const id = await newTicket("Пуш");
    await s.inject({
      method: "POST",
      url: "/api/messages/",
      headers: operator.headers,
      payload: { ticket_id: id, text: "Ответ" },
    });
    await waitForNotificationsIdle();
    const req = push.requests.find((r) => r.path === "/push/a");
    expect(req).toBeTruthy();
    expect(req!.headers.authorization).toMatch(/^vapid t=/);
    expect(req!.headers["content-encoding"]).toBe("aes128gcm");
    expect(req!.body.length).toBeGreaterThan(50);

    push.answer("/push/a", 410);
    await s.inject({
      method: "POST",
      url: "/api/messages/",
      headers: operator.headers,
      payload: { ticket_id: id, text: "Ещё" },
    });
    await waitForNotificationsIdle();
    const { rows: left } = await s.ctx.db.execute(
      sql`SELECT 1 FROM push_subscriptions WHERE user_id = ${requester.id}`,
    );
    expect(left).toHaveLength(0);

    const del = await s.inject({
      method: "DELETE",
      url: "/api/push/subscriptions/",
      headers: requester.headers,
      payload: { endpoint: push.endpoint("/push/a") },
    });
    expect(del.statusCode).toBe(204);
  });
});
