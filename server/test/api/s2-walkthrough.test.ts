import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TTestServer } from "../helpers.js";

let s: TTestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.close();
});

describe("seed S2 walk-through", () => {
  it("registers, logs in, creates, assigns, executes with the seed's endpoints", async () => {
    const reg = await s.inject({
      method: "POST",
      url: "/api/auth/register/",
      payload: { email: "anna@example.com", password: "long-enough-pass", name: "Анна" },
    });
    expect(reg.statusCode).toBe(201);
    expect(reg.json()).toMatchObject({ email: "anna@example.com", role: "requester" });

    const login = await s.inject({
      method: "POST",
      url: "/api/auth/login/",
      payload: { email: "anna@example.com", password: "long-enough-pass" },
    });
    expect(login.statusCode).toBe(200);
    const { access, refresh } = login.json();
    expect(access).toMatch(/^ey/);
    expect(refresh).toMatch(/^ey/);
    expect(login.headers["set-cookie"]).toMatch(/hd_session=.*HttpOnly/i);
    const requester = { authorization: `Bearer ${access}` };

    const profile = await s.inject({ method: "GET", url: "/api/auth/profile/", headers: requester });
    expect(profile.json()).toMatchObject({ email: "anna@example.com", role: "requester" });

    const created = await s.inject({
      method: "POST",
      url: "/api/tickets/",
      headers: requester,
      payload: { title: "Не работает VPN", description: "Отключается каждые 10 минут" },
    });
    expect(created.statusCode).toBe(201);
    const ticket = created.json();
    expect(ticket).toMatchObject({ status: "open", assignee: null, queue: { slug: "general" } });

    const mine = await s.inject({ method: "GET", url: "/api/tickets/my-tickets/", headers: requester });
    expect(mine.json().results.map((t: { id: number }) => t.id)).toEqual([ticket.id]);

    const operator = await s.actor("operator");
    const executor = await s.actor("executor");
    const all = await s.inject({
      method: "GET",
      url: "/api/tickets/all-tickets/",
      headers: operator.headers,
    });
    expect(all.statusCode).toBe(200);
    expect(all.json().results.map((t: { id: number }) => t.id)).toContain(ticket.id);
    expect(
      (await s.inject({ method: "GET", url: "/api/tickets/all-tickets/", headers: requester })).statusCode,
    ).toBe(403);

    const notExecutor = await s.inject({
      method: "POST",
      url: `/api/tickets/${ticket.id}/assign/`,
      headers: operator.headers,
      payload: { executor_id: operator.id },
    });
    expect(notExecutor.statusCode).toBe(400);
    expect(notExecutor.json().error.code).toBe("tickets.invalid_executor");

    const byRequester = await s.inject({
      method: "POST",
      url: `/api/tickets/${ticket.id}/assign/`,
      headers: requester,
      payload: { executor_id: executor.id },
    });
    expect(byRequester.statusCode).toBe(403);

    const assigned = await s.inject({
      method: "POST",
      url: `/api/tickets/${ticket.id}/assign/`,
      headers: operator.headers,
      payload: { executor_id: executor.id },
    });
    expect(assigned.statusCode).toBe(200);
    expect(assigned.json().assignee.id).toBe(executor.id);

    const toMe = await s.inject({
      method: "GET",
      url: "/api/tickets/assigned-to-me",
      headers: executor.headers,
    });
    expect(toMe.json().results.map((t: { id: number }) => t.id)).toEqual([ticket.id]);

    const otherExecutor = await s.actor("executor");
    const refused = await s.inject({
      method: "POST",
      url: `/api/tickets/${ticket.id}/execute/`,
      headers: otherExecutor.headers,
      payload: {},
    });
    expect(refused.statusCode).toBe(403);

    const done = await s.inject({
      method: "POST",
      url: `/api/tickets/${ticket.id}/execute/`,
      headers: executor.headers,
      payload: { comment: "Перенастроили клиент VPN" },
    });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ status: "closed" });
    expect(done.json().closed_at).not.toBeNull();

    const again = await s.inject({
      method: "POST",
      url: `/api/tickets/${ticket.id}/execute/`,
      headers: executor.headers,
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe("tickets.already_closed");

    const conversation = await s.inject({
      method: "GET",
      url: `/api/tickets/${ticket.id}/messages/`,
      headers: requester,
    });
    expect(conversation.json().results.map((m: { text: string }) => m.text)).toEqual([
      "Перенастроили клиент VPN",
    ]);

    const history = await s.inject({
      method: "GET",
      url: `/api/tickets/${ticket.id}/history/`,
      headers: requester,
    });
    expect(history.json().results.map((e: { type: string }) => e.type)).toEqual([
      "created",
      "assigned",
      "message",
      "status_changed",
    ]);
  });

  it("serves Swagger UI at /api/docs/ and the OpenAPI document", async () => {
    expect((await s.inject({ method: "GET", url: "/api/docs/" })).statusCode).toBe(200);
    const doc = await s.inject({ method: "GET", url: "/api/docs/json" });
    expect(doc.json().openapi).toBe("3.1.0");
    expect(Object.keys(doc.json().paths)).toEqual(
      expect.arrayContaining(["/api/tickets/my-tickets", "/api/tickets/{id}/assign", "/api/auth/register"]),
    );
  });

  it("answers health without auth and reports the database", async () => {
    const res = await s.inject({ method: "GET", url: "/api/health/" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: "ok", database: "ok" });
  });
});
