import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { getRealtimeHub } from "../../src/modules/realtime/realtime.routes.js";
import { startTestServer, type TTestServer } from "../helpers.js";
import { eventsOf, openSocket, subscribe, type TTestSocket, type TWsMessage, wsUrl } from "./ws-client.js";

let s: TTestServer;
let address: string;
const sockets: TTestSocket[] = [];

beforeAll(async () => {
  s = await startTestServer();
  address = await s.app.listen({ port: 0, host: "127.0.0.1" });
});
afterAll(async () => {
  await Promise.all(sockets.map((t) => t.close()));
  await s?.close();
});

async function connect(headers: Record<string, string>, query = ""): Promise<TTestSocket> {
  const t = await openSocket(wsUrl(address, query), headers);
  sockets.push(t);
  return t;
}

async function createTicket(
  headers: Record<string, string>,
  extra: Record<string, unknown> = {},
): Promise<number> {
  const res = await s.inject({
    method: "POST",
    url: "/api/tickets/",
    headers,
    payload: { title: "Printer on fire", description: "Smoke everywhere", ...extra },
  });
  expect(res.statusCode).toBe(201);
  return res.json().id as number;
}

async function post(url: string, headers: Record<string, string>, payload: unknown) {
  const res = await s.inject({ method: "POST", url, headers, payload: payload as Record<string, unknown> });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json();
}

/** Resolves with the status code of a refused upgrade. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.on("open", () => {
      socket.close();
      reject(new Error("upgrade was accepted"));
    });
    socket.on("error", () => {});
  });
}

const isEvent = (ticketId: number, eventType: string) => (m: TWsMessage) =>
  m.type === "event" && m.ticket_id === ticketId && m.event_type === eventType;

describe("GET /ws authentication", () => {
  it("refuses an upgrade without credentials or with a bad token", async () => {
    expect(await upgradeStatus(wsUrl(address))).toBe(401);
    expect(await upgradeStatus(wsUrl(address, "?token=not-a-jwt"))).toBe(401);
    expect(await upgradeStatus(wsUrl(address), { authorization: "Bearer nope" })).toBe(401);
  });

  it("accepts a Bearer header, a ?token= access JWT and the session cookie, and says hello", async () => {
    const u = await s.actor("requester");
    const byHeader = await connect(u.headers);
    expect(byHeader.ofType("hello")[0]).toMatchObject({ user_id: u.id, last_event_id: expect.any(Number) });
    const token = u.headers.authorization.replace("Bearer ", "");
    const byQuery = await connect({}, `?token=${encodeURIComponent(token)}`);
    expect(byQuery.ofType("hello")[0]).toMatchObject({ user_id: u.id });

    const user = await s.createUser({ role: "operator", departmentIds: [1] });
    const login = await s.inject({
      method: "POST",
      url: "/api/auth/login/",
      payload: { email: user.email, password: user.password },
    });
    const cookie = String(login.headers["set-cookie"]).split(";")[0] ?? "";
    const byCookie = await connect({ cookie });
    expect(byCookie.ofType("hello")[0]).toMatchObject({ user_id: user.id });
    // Another site's page must not ride on the cookie.
    expect(await upgradeStatus(wsUrl(address), { cookie, origin: "https://evil.example" })).toBe(403);
  });
});

describe("ticket events", () => {
  it("gives a requester their own ticket's events but not another's, and never internal notes", async () => {
    const anna = await s.actor("requester");
    const boris = await s.actor("requester");
    const operator = await s.actor("operator");
    const annaWs = await connect(anna.headers);
    const borisWs = await connect(boris.headers);
    const opWs = await connect(operator.headers);
    await Promise.all([
      subscribe(annaWs, ["tickets"]),
      subscribe(borisWs, ["tickets"]),
      subscribe(opWs, ["tickets"]),
    ]);

    const ticketId = await createTicket(anna.headers);
    const created = await annaWs.next(isEvent(ticketId, "created"));
    expect(created).toMatchObject({ actor_id: anna.id, id: expect.any(Number), at: expect.any(String) });
    await opWs.next(isEvent(ticketId, "created"));

    await post("/api/notes/", operator.headers, { ticket_id: ticketId, text: "Internal: call facilities" });
    await post("/api/messages/", operator.headers, { ticket_id: ticketId, text: "We are on it" });
    await opWs.next(isEvent(ticketId, "note"));
    await opWs.next(isEvent(ticketId, "message"));
    const reply = await annaWs.next(isEvent(ticketId, "message"));
    expect(reply.data).toMatchObject({ is_internal: false });

    await borisWs.expectNone((m) => m.type === "event" && m.ticket_id === ticketId);
    expect(eventsOf(annaWs, ticketId).some((m) => (m.data as { is_internal?: boolean }).is_internal)).toBe(
      false,
    );
    expect(eventsOf(annaWs, ticketId).map((m) => m.event_type)).toEqual(["created", "message"]);
    // Ids only go up on one socket.
    const ids = eventsOf(opWs).map((m) => m.id as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it("tells open screens that a message was edited or deleted, with a history id, and notes only to staff", async () => {
    const anna = await s.actor("requester");
    const operator = await s.actor("operator");
    const annaWs = await connect(anna.headers);
    const opWs = await connect(operator.headers);
    await Promise.all([subscribe(annaWs, ["tickets"]), subscribe(opWs, ["tickets"])]);
    const ticketId = await createTicket(anna.headers);
    const reply = await post("/api/messages/", operator.headers, { ticket_id: ticketId, text: "Draft" });
    const note = await post("/api/notes/", operator.headers, { ticket_id: ticketId, text: "Secret" });

    const edit = await s.inject({
      method: "PATCH",
      url: `/api/messages/${reply.id}/`,
      headers: operator.headers,
      payload: { text: "Final" },
    });
    expect(edit.statusCode).toBe(200);
    const edited = await annaWs.next(isEvent(ticketId, "message_edited"));
    expect(edited).toMatchObject({
      id: expect.any(Number),
      actor_id: operator.id,
      data: { message_id: reply.id },
    });

    for (const url of [`/api/messages/${reply.id}/`, `/api/notes/${note.id}/`]) {
      const res = await s.inject({ method: "DELETE", url, headers: operator.headers });
      expect(res.statusCode).toBe(204);
    }
    const deleted = await annaWs.next(isEvent(ticketId, "message_deleted"));
    expect(deleted).toMatchObject({
      id: expect.any(Number),
      data: { message_id: reply.id, is_internal: false },
    });
    const staffSaw = await opWs.next(
      (m) =>
        isEvent(ticketId, "message_deleted")(m) && (m.data as { message_id: number }).message_id === note.id,
    );
    expect(staffSaw.data).toMatchObject({ is_internal: true });
    await annaWs.expectNone(
      (m) =>
        isEvent(ticketId, "message_deleted")(m) && (m.data as { message_id: number }).message_id === note.id,
    );

    // The history says what happened, under the same names.
    const history = await s.inject({
      method: "GET",
      url: `/api/tickets/${ticketId}/history/`,
      headers: operator.headers,
    });
    const types = history.json() as { type: string }[] | { results: { type: string }[] };
    const list = Array.isArray(types) ? types : types.results;
    expect(list.map((e) => e.type)).toEqual(expect.arrayContaining(["message_edited", "message_deleted"]));
  });

  it("publishes nothing for a change that was refused or rolled back", async () => {
    const anna = await s.actor("requester");
    const seen: string[] = [];
    let ticketId = 0;
    // Only this ticket's events: the creation's own notifications may still be on their way.
    const stop = s.ctx.bus.subscribe((e) => {
      if ("ticketId" in e && e.ticketId === ticketId && e.type !== "notification_created") seen.push(e.type);
    });
    try {
      ticketId = await createTicket(anna.headers);
      seen.length = 0;
      // Refused inside the transaction, after the ticket was locked.
      const refused = await s.inject({
        method: "PATCH",
        url: `/api/tickets/${ticketId}/`,
        headers: anna.headers,
        payload: { status: "in_progress" },
      });
      expect(refused.statusCode).toBe(403);
      // A message whose attachments are not the author's fails after the message row was written.
      const bad = await s.inject({
        method: "POST",
        url: "/api/messages/",
        headers: anna.headers,
        payload: {
          ticket_id: ticketId,
          text: "with a file",
          attachment_ids: ["00000000-0000-4000-8000-000000000000"],
        },
      });
      expect(bad.statusCode).toBe(400);
      expect(seen).toEqual([]);
      const messages = await s.inject({
        method: "GET",
        url: `/api/messages/?ticket_id=${ticketId}`,
        headers: anna.headers,
      });
      expect(messages.json().results).toEqual([]);
    } finally {
      stop();
    }
  });

  it("gives an operator only their departments' queues; an admin everything", async () => {
    const admin = await s.actor("admin");
    const dept = await post("/api/departments/", admin.headers, { name_ru: "Склад", name_en: "Warehouse" });
    const queue = await post("/api/queues/", admin.headers, {
      name_ru: "Склад",
      name_en: "Warehouse",
      slug: `warehouse-${Date.now()}`,
      department_id: dept.id,
    });
    const warehouseOp = await s.actor("operator", [dept.id]);
    const serviceOp = await s.actor("operator", [1]);
    const requester = await s.actor("requester");
    const [whWs, svcWs, adminWs] = await Promise.all([
      connect(warehouseOp.headers),
      connect(serviceOp.headers),
      connect(admin.headers),
    ]);
    await Promise.all([
      subscribe(whWs, ["tickets"]),
      subscribe(svcWs, ["tickets"]),
      subscribe(adminWs, ["tickets"]),
    ]);

    const ticketId = await createTicket(requester.headers, { queue_id: queue.id });
    await whWs.next(isEvent(ticketId, "created"));
    await adminWs.next(isEvent(ticketId, "created"));
    await svcWs.expectNone((m) => m.type === "event" && m.ticket_id === ticketId);

    // Moved to a service-desk queue: the warehouse hears that it left, service desk from then on.
    const res = await s.inject({
      method: "PATCH",
      url: `/api/tickets/${ticketId}/`,
      headers: admin.headers,
      payload: { queue_id: 1 },
    });
    expect(res.statusCode, res.body).toBe(200);
    await whWs.next(isEvent(ticketId, "updated"));
    await svcWs.next(isEvent(ticketId, "updated"));
  });

  it("delivers only a subscribed ticket with ticket:<id> topics", async () => {
    const requester = await s.actor("requester");
    const executor = await s.actor("executor");
    const one = await createTicket(requester.headers);
    const two = await createTicket(requester.headers);
    const ws = await connect(executor.headers);
    await subscribe(ws, [`ticket:${one}`]);
    await post("/api/messages/", requester.headers, { ticket_id: two, text: "ping two" });
    await post("/api/messages/", requester.headers, { ticket_id: one, text: "ping one" });
    await ws.next(isEvent(one, "message"));
    expect(eventsOf(ws, two)).toEqual([]);
    ws.send({ type: "unsubscribe", topics: [`ticket:${one}`] });
    ws.send({ type: "ping" });
    await ws.next((m) => m.type === "pong");
    await post("/api/messages/", requester.headers, { ticket_id: one, text: "again" });
    await ws.expectNone((m) => m.type === "event" && m.ticket_id === one && eventsOf(ws, one).length > 1);
  });

  it("sends a notification only to its user", async () => {
    const a = await s.actor("executor");
    const b = await s.actor("executor");
    const [aWs, bWs] = await Promise.all([connect(a.headers), connect(b.headers)]);
    s.ctx.bus.publish({
      type: "notification_created",
      userId: a.id,
      ticketId: null,
      notification: { kind: "ticket_assigned", id: "n1", title: "Assigned to you" },
      at: new Date().toISOString(),
    });
    const n = await aWs.next((m) => m.type === "notification");
    expect(n.notification).toMatchObject({ id: "n1" });
    await bWs.expectNone((m) => m.type === "notification");
  });
});

describe("presence and typing", () => {
  it("shows an executor a colleague viewing and typing on the same ticket; internal typing only to staff", async () => {
    const requester = await s.actor("requester");
    const ticketId = await createTicket(requester.headers);
    const e1 = await s.actor("executor");
    const e2 = await s.actor("executor");
    const [w1, w2, wr] = await Promise.all([
      connect(e1.headers),
      connect(e2.headers),
      connect(requester.headers),
    ]);
    w1.send({ type: "view", ticket_id: ticketId });
    await w1.next((m) => m.type === "presence" && (m.viewers as unknown[]).length === 1);
    w2.send({ type: "view", ticket_id: ticketId });
    wr.send({ type: "view", ticket_id: ticketId });
    const both = await w1.next((m) => m.type === "presence" && (m.viewers as unknown[]).length === 3);
    expect((both.viewers as { id: number }[]).map((v) => v.id).sort()).toEqual(
      [e1.id, e2.id, requester.id].sort((a, b) => a - b),
    );
    expect(both.viewers).toContainEqual({ id: e2.id, name: expect.any(String) });

    w2.send({ type: "typing", ticket_id: ticketId, is_internal: true });
    const typing = await w1.next((m) => m.type === "typing");
    expect(typing).toMatchObject({ ticket_id: ticketId, user: { id: e2.id }, is_internal: true });
    await wr.expectNone((m) => m.type === "typing");
    // The typist does not hear themself.
    expect(w2.ofType("typing")).toEqual([]);

    wr.send({ type: "typing", ticket_id: ticketId });
    const fromRequester = await w1.next(
      (m) => m.type === "typing" && (m.user as { id: number }).id === requester.id,
    );
    expect(fromRequester.is_internal).toBe(false);
    wr.send({ type: "typing", ticket_id: ticketId, is_internal: true });
    expect((await wr.next((m) => m.type === "error")).code).toBe("realtime.forbidden");

    await w2.close();
    await w1.next((m) => m.type === "presence" && (m.viewers as unknown[]).length === 2);
  });

  it("refuses to let a requester view someone else's ticket", async () => {
    const owner = await s.actor("requester");
    const other = await s.actor("requester");
    const ticketId = await createTicket(owner.headers);
    const ws = await connect(other.headers);
    ws.send({ type: "view", ticket_id: ticketId });
    expect((await ws.next((m) => m.type === "error")).code).toBe("realtime.ticket_not_found");
    ws.send({ type: "typing", ticket_id: ticketId });
    await ws.next((m) => m.type === "error" && ws.ofType("error").length === 2);
    expect(ws.ofType("presence")).toEqual([]);
  });
});

describe("catch-up", () => {
  it("sends missed events after `since` on reconnect, in order and without duplicates", async () => {
    const requester = await s.actor("requester");
    const operator = await s.actor("operator");
    const ticketId = await createTicket(requester.headers);
    const first = await connect(operator.headers);
    await subscribe(first, [`ticket:${ticketId}`]);
    await post("/api/messages/", operator.headers, { ticket_id: ticketId, text: "one" });
    const seen = await first.next(isEvent(ticketId, "message"));
    await first.close();

    // Missed while offline.
    await post("/api/messages/", requester.headers, { ticket_id: ticketId, text: "two" });
    await post("/api/notes/", operator.headers, { ticket_id: ticketId, text: "three (note)" });
    await post(`/api/tickets/${ticketId}/assign/`, operator.headers, {
      executor_id: (await s.actor("executor")).id,
    });

    const second = await connect(operator.headers);
    // Changes racing the subscription must be neither lost nor doubled.
    const racing = Promise.all([
      post("/api/messages/", requester.headers, { ticket_id: ticketId, text: "four" }),
      post("/api/notes/", operator.headers, { ticket_id: ticketId, text: "five" }),
    ]);
    await subscribe(second, [`ticket:${ticketId}`], seen.id as number);
    await racing;
    await post("/api/messages/", requester.headers, { ticket_id: ticketId, text: "six" });
    const history = await s.inject({
      method: "GET",
      url: `/api/tickets/${ticketId}/history/`,
      headers: operator.headers,
    });
    const expected = (history.json().results as { id: number }[])
      .map((e) => e.id)
      .filter((id) => id > (seen.id as number))
      .sort((a, b) => a - b);
    await second.next((m) => m.type === "event" && m.id === expected.at(-1));
    const ids = eventsOf(second, ticketId).map((m) => m.id as number);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a - b)).toEqual(expected);
    expect(
      eventsOf(second, ticketId)
        .map((m) => m.event_type)
        .slice(0, 3),
    ).toEqual(["message", "note", "assigned"]);
  });

  it("never replays another requester's or internal events", async () => {
    const anna = await s.actor("requester");
    const boris = await s.actor("requester");
    const operator = await s.actor("operator");
    const hello = (await connect(anna.headers)).ofType("hello")[0] as unknown as { last_event_id: number };
    const annaTicket = await createTicket(anna.headers);
    const borisTicket = await createTicket(boris.headers);
    await post("/api/notes/", operator.headers, { ticket_id: annaTicket, text: "secret" });
    await post("/api/messages/", operator.headers, { ticket_id: borisTicket, text: "for boris" });
    const ws = await connect(anna.headers);
    await subscribe(ws, ["tickets"], hello.last_event_id);
    const replayed = eventsOf(ws);
    expect(replayed.map((m) => [m.ticket_id, m.event_type])).toEqual([[annaTicket, "created"]]);
  });
});

describe("bad input", () => {
  it("answers invalid messages with errors and keeps the socket open", async () => {
    const u = await s.actor("executor");
    const ws = await connect(u.headers);
    const errorCount = () => ws.ofType("error").length;
    const expectError = async (payload: string | Buffer, code: string) => {
      const before = errorCount();
      ws.sendRaw(payload);
      const e = await ws.next(
        (m) => m.type === "error" && errorCount() > before && ws.ofType("error").at(-1) === m,
      );
      expect(e.code).toBe(code);
      expect(e.message).toEqual(expect.any(String));
    };
    await expectError("not json", "realtime.invalid_json");
    await expectError(JSON.stringify({ type: "explode" }), "realtime.invalid_message");
    await expectError(
      JSON.stringify({ type: "subscribe", topics: ["tickets"], extra: 1 }),
      "realtime.invalid_message",
    );
    await expectError(JSON.stringify({ type: "subscribe", topics: ["users"] }), "realtime.invalid_message");
    await expectError(JSON.stringify({ type: "view", ticket_id: -3 }), "realtime.invalid_message");
    await expectError(JSON.stringify([1, 2]), "realtime.invalid_message");
    await expectError(Buffer.from([1, 2, 3]), "realtime.invalid_message");
    await expectError(
      JSON.stringify({ type: "ping", pad: "x".repeat(10_000) }),
      "realtime.message_too_large",
    );
    ws.send({ type: "ping" });
    await ws.next((m) => m.type === "pong");
    expect(ws.socket.readyState).toBe(WebSocket.OPEN);
  });

  it("rate-limits a flood and survives it", async () => {
    const u = await s.actor("executor");
    const ws = await connect(u.headers);
    for (let i = 0; i < 100; i++) ws.send({ type: "ping" });
    const e = await ws.next((m) => m.type === "error");
    expect(e.code).toBe("realtime.rate_limited");
    expect(ws.ofType("pong").length).toBeLessThan(100);
    await new Promise((r) => setTimeout(r, 300));
    ws.send({ type: "ping" });
    await ws.next((m) => m.type === "pong" && ws.ofType("pong").at(-1) === m);
    expect(ws.socket.readyState).toBe(WebSocket.OPEN);
  });
});

describe("users who lose access", () => {
  it("closes the sockets of a deactivated user", async () => {
    const admin = await s.actor("admin");
    const u = await s.actor("executor");
    const ws = await connect(u.headers);
    await post(`/api/users/${u.id}/deactivate/`, admin.headers, {});
    await getRealtimeHub(s.ctx)?.refreshActors();
    expect((await ws.closed).code).toBe(4403);
  });

  it("applies new departments to a connected operator", async () => {
    const admin = await s.actor("admin");
    const dept = await post("/api/departments/", admin.headers, { name_ru: "Новый", name_en: "New" });
    const queue = await post("/api/queues/", admin.headers, {
      name_ru: "Новая",
      name_en: "New",
      slug: `new-${Date.now()}`,
      department_id: dept.id,
    });
    const op = await s.actor("operator", [1]);
    const requester = await s.actor("requester");
    const ws = await connect(op.headers);
    await subscribe(ws, ["tickets"]);
    const hidden = await createTicket(requester.headers, { queue_id: queue.id });
    await ws.expectNone((m) => m.type === "event" && m.ticket_id === hidden);
    const res = await s.inject({
      method: "PATCH",
      url: `/api/users/${op.id}/`,
      headers: admin.headers,
      payload: { department_ids: [1, dept.id] },
    });
    expect(res.statusCode, res.body).toBe(200);
    await getRealtimeHub(s.ctx)?.refreshActors();
    await post("/api/messages/", requester.headers, { ticket_id: hidden, text: "now visible" });
    await ws.next(isEvent(hidden, "message"));
  });
});
