import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TTestServer } from "../helpers.js";

let s: TTestServer;
let admin: Awaited<ReturnType<TTestServer["actor"]>>;
let ticketId: number;
beforeAll(async () => {
  s = await startTestServer();
  admin = await s.actor("admin");
  ticketId = (
    await s.inject({
      method: "POST",
      url: "/api/tickets/",
      headers: admin.headers,
      payload: { title: "Base" },
    })
  ).json().id;
});
afterAll(async () => {
  await s?.close();
});

const count = async (table: string) =>
  Number((await s.ctx.database.executor.executeSql(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n);

type TCase = {
  method: "POST" | "PATCH" | "GET" | "PUT" | "DELETE";
  url: string;
  body?: string;
  headers?: Record<string, string>;
  code: string;
  status: number;
};

/** Each case: a malformed request → a 4xx with a stable code, and nothing written. */
const cases = (): TCase[] => [
  // JSON that does not parse, wrong types, unknown fields, oversize, bad ids, bad cursors.
  { method: "POST", url: "/api/tickets/", body: '{"title":', code: "request.malformed_json", status: 400 },
  { method: "POST", url: "/api/tickets/", body: "[]", code: "validation.invalid", status: 400 },
  {
    method: "POST",
    url: "/api/tickets/",
    body: JSON.stringify({ title: 42 }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "POST",
    url: "/api/tickets/",
    body: JSON.stringify({ title: "   " }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "POST",
    url: "/api/tickets/",
    body: JSON.stringify({ title: "x", evil: 1 }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "POST",
    url: "/api/tickets/",
    body: JSON.stringify({ title: "x".repeat(201) }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "POST",
    url: "/api/tickets/",
    body: JSON.stringify({ title: "x", priority_id: 999 }),
    code: "tickets.unknown_reference",
    status: 400,
  },
  {
    method: "POST",
    url: "/api/tickets/",
    body: JSON.stringify({ title: "x", queue_id: -1 }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "POST",
    url: "/api/tickets/",
    body: JSON.stringify({ title: "x", attachment_ids: ["00000000-0000-4000-8000-000000000000"] }),
    code: "attachments.invalid",
    status: 400,
  },
  {
    method: "POST",
    url: "/api/tickets/",
    body: JSON.stringify({ title: "x", description: "y".repeat(1_100_000) }),
    code: "request.too_large",
    status: 413,
  },
  {
    method: "POST",
    url: "/api/tickets/",
    body: "title=x",
    headers: { "content-type": "text/plain" },
    code: "request.unsupported_media_type",
    status: 415,
  },
  {
    method: "POST",
    url: "/api/tickets/",
    body: '{"__proto__":{"x":1},"title":"p"}',
    code: "request.malformed_json",
    status: 400,
  },
  { method: "GET", url: "/api/tickets/abc/", code: "validation.invalid", status: 400 },
  { method: "GET", url: "/api/tickets/99999999999999999999/", code: "validation.invalid", status: 400 },
  { method: "GET", url: "/api/tickets/?cursor=not-a-cursor", code: "pagination.bad_cursor", status: 400 },
  { method: "GET", url: "/api/tickets/?status=nope", code: "validation.invalid", status: 400 },
  { method: "GET", url: "/api/tickets/?limit=100000", code: "validation.invalid", status: 400 },
  { method: "GET", url: "/api/tickets/?created_from=yesterday", code: "validation.invalid", status: 400 },
  { method: "GET", url: "/api/tickets/?unknown=1", code: "validation.invalid", status: 400 },
  {
    method: "PATCH",
    url: "/api/tickets/1/",
    body: JSON.stringify({ status: "done" }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "POST",
    url: "/api/tickets/1/assign/",
    body: JSON.stringify({ executor_id: "me" }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "POST",
    url: "/api/tickets/1/assign/",
    body: JSON.stringify({}),
    code: "validation.invalid",
    status: 400,
  },
  // messages and notes
  {
    method: "POST",
    url: "/api/messages/",
    body: JSON.stringify({ ticket_id: 1 }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "POST",
    url: "/api/messages/",
    body: JSON.stringify({ ticket_id: 999999, text: "hi" }),
    code: "tickets.not_found",
    status: 404,
  },
  {
    method: "POST",
    url: "/api/notes/",
    body: JSON.stringify({ ticket_id: "x", text: "hi" }),
    code: "validation.invalid",
    status: 400,
  },
  { method: "GET", url: "/api/messages/", code: "validation.invalid", status: 400 },
  { method: "GET", url: "/api/messages/0/", code: "validation.invalid", status: 400 },
  // auth
  {
    method: "POST",
    url: "/api/auth/register/",
    body: JSON.stringify({ email: "not-an-email", password: "long-enough-pass", name: "x" }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "POST",
    url: "/api/auth/login/",
    body: JSON.stringify({ email: "a@b.c" }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "POST",
    url: "/api/auth/refresh/",
    body: JSON.stringify({ refresh: "garbage" }),
    code: "auth.invalid_token",
    status: 401,
  },
  {
    method: "POST",
    url: "/api/api-token-auth/",
    body: JSON.stringify({ password: "x" }),
    code: "validation.invalid",
    status: 400,
  },
  // users, catalog, settings
  {
    method: "POST",
    url: "/api/users/",
    body: JSON.stringify({ email: "u@example.com", name: "U", password: "long-enough-pass", role: "god" }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "POST",
    url: "/api/users/",
    body: JSON.stringify({
      email: "u@example.com",
      name: "U",
      password: "long-enough-pass",
      role: "executor",
      department_ids: [4242],
    }),
    code: "users.unknown_departments",
    status: 400,
  },
  { method: "PATCH", url: "/api/users/abc/", body: "{}", code: "validation.invalid", status: 400 },
  {
    method: "PATCH",
    url: "/api/users/99999/",
    body: JSON.stringify({ name: "x" }),
    code: "users.not_found",
    status: 404,
  },
  { method: "GET", url: "/api/users/?cursor=%%%", code: "pagination.bad_cursor", status: 400 },
  {
    method: "POST",
    url: "/api/queues/",
    body: JSON.stringify({ name_ru: "", name_en: "x" }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "POST",
    url: "/api/queues/",
    body: JSON.stringify({ name_ru: "a", name_en: "b", department_id: 4242 }),
    code: "departments.not_found",
    status: 400,
  },
  {
    method: "PATCH",
    url: "/api/categories/4242/",
    body: JSON.stringify({ name_ru: "a" }),
    code: "categories.not_found",
    status: 404,
  },
  {
    method: "PATCH",
    url: "/api/settings/",
    body: JSON.stringify({ auto_hide_hours: -1 }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "PATCH",
    url: "/api/settings/",
    body: JSON.stringify({ allowed_email_domain: "not a domain" }),
    code: "validation.invalid",
    status: 400,
  },
  // uploads and attachments
  {
    method: "POST",
    url: "/api/upload/",
    body: JSON.stringify({ file: "x" }),
    code: "uploads.not_multipart",
    status: 415,
  },
  { method: "GET", url: "/api/attachments/not-a-uuid/", code: "validation.invalid", status: 400 },
  {
    method: "GET",
    url: "/api/attachments/00000000-0000-4000-8000-000000000000/",
    code: "attachments.not_found",
    status: 404,
  },
  // unknown route
  { method: "GET", url: "/api/nothing-here/", code: "common.route_not_found", status: 404 },
];

describe("bad input", () => {
  it("gets a 4xx with a stable code and never a partial write, for every endpoint family", async () => {
    const before = await Promise.all(
      ["tickets", "ticket_messages", "users", "queues", "ticket_events"].map(count),
    );
    for (const c of cases()) {
      const res = await s.inject({
        method: c.method,
        url: c.url,
        payload: c.body,
        headers: {
          ...admin.headers,
          ...(c.body !== undefined ? { "content-type": "application/json" } : {}),
          ...c.headers,
        },
      });
      expect(res.statusCode, `${c.method} ${c.url} ${res.body.slice(0, 200)}`).toBe(c.status);
      expect(res.json().error.code, `${c.method} ${c.url}`).toBe(c.code);
      expect(typeof res.json().error.message).toBe("string");
    }
    const after = await Promise.all(
      ["tickets", "ticket_messages", "users", "queues", "ticket_events"].map(count),
    );
    expect(after).toEqual(before);
  });

  it("rolls back a whole create when a later step fails (attachments not owned)", async () => {
    const other = await s.actor("requester");
    const form = new FormData();
    form.append("file", new Blob(["hello"], { type: "text/plain" }), "hello.txt");
    const upload = await s.app.inject({
      method: "POST",
      url: "/api/upload/",
      headers: other.headers,
      payload: form,
    });
    expect(upload.statusCode).toBe(201);
    const before = await count("tickets");
    const res = await s.inject({
      method: "POST",
      url: "/api/tickets/",
      headers: admin.headers,
      payload: { title: "steal a file", attachment_ids: [upload.json().id] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("attachments.invalid");
    expect(await count("tickets")).toBe(before);
  });

  it("answers a malformed HTTP request line in the API's error shape", async () => {
    await s.app.listen({ port: 0, host: "127.0.0.1" });
    const address = s.app.server.address() as { port: number };
    const { Socket } = await import("node:net");
    const raw = await new Promise<string>((resolve) => {
      const sock = new Socket();
      let data = "";
      sock.connect(address.port, "127.0.0.1", () =>
        sock.write("GET /api/tickets/?q=\u0000\u00ff HTTP/1.1\r\nHost: x\r\n\r\n"),
      );
      sock.on("data", (d) => {
        data += d.toString("latin1");
      });
      sock.on("close", () => resolve(data));
    });
    expect(raw).toMatch(/^HTTP\/1.1 400/);
    expect(raw).toContain('"code":"request.malformed"');
    expect(ticketId).toBeGreaterThan(0);
  });
});
