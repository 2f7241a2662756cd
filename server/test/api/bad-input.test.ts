import { sql } from "drizzle-orm";
import Fastify, { type FastifyBaseLogger } from "fastify";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifyDatabaseInputError } from "../../src/platform/db-input-errors.js";
import { installErrorHandling } from "../../src/platform/http.js";
import { startSmtpSink } from "../email/smtp-sink.js";
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

/** Tables a refused request must leave as they were. */
const TABLES = [
  "tickets",
  "ticket_messages",
  "users",
  "queues",
  "ticket_events",
  "attachments",
  "channel_accounts",
  "inbound_items",
  "settings",
];
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
  // text PostgreSQL cannot store: NUL and unpaired surrogates, in bodies and query strings
  ...[
    ["/api/tickets/", { title: "a\u0000b" }],
    ["/api/tickets/", { title: "ok", description: "x\ud800" }],
    ["/api/messages/", { ticket_id: 1, text: "\udc00" }],
    ["/api/notes/", { ticket_id: 1, text: "a\u0000" }],
    [
      "/api/users/",
      { email: "n@example.com", name: "N\u0000", password: "long-enough-pass", role: "executor" },
    ],
    ["/api/queues/", { name_ru: "a\u0000", name_en: "b" }],
    ["/api/departments/", { name_ru: "a", name_en: "\ud800" }],
    ["/api/auth/login/", { email: "a\u0000@b.c", password: "x" }],
    ["/api/api-token-auth/", { username: "a\u0000", password: "x" }],
    ["/api/admin/email/mailboxes/", { name: "m", host: "h\u0000", port: 993, username: "u", password: "p" }],
  ].map(([url, body]) => ({
    method: "POST" as const,
    url: url as string,
    body: JSON.stringify(body),
    code: "validation.invalid",
    status: 400,
  })),
  {
    method: "PATCH",
    url: "/api/settings/",
    body: JSON.stringify({ organisation_name: "x\ud800" }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "PATCH",
    url: "/api/auth/profile/",
    body: JSON.stringify({ name: "a\u0000" }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "PUT",
    url: "/api/admin/email/smtp/",
    body: JSON.stringify({ host: "a\u0000", port: 25, secure: false }),
    code: "validation.invalid",
    status: 400,
  },
  { method: "GET", url: "/api/tickets/?q=a%00b", code: "validation.invalid", status: 400 },
  { method: "GET", url: "/api/users/?q=%00", code: "validation.invalid", status: 400 },
  // numbers outside the column's range: int4 ids, bigint ids, filters, cursors
  {
    method: "POST",
    url: "/api/tickets/",
    body: JSON.stringify({ title: "x", priority_id: 2147483648 }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "POST",
    url: "/api/tickets/",
    body: JSON.stringify({ title: "x", requester_id: 9007199254740991 }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "PATCH",
    url: "/api/tickets/1/",
    body: JSON.stringify({ assignee_id: 2147483648 }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "POST",
    url: "/api/queues/",
    body: JSON.stringify({ name_ru: "a", name_en: "b", department_id: 2147483648 }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "PATCH",
    url: "/api/users/1/",
    body: JSON.stringify({ department_ids: [2147483648] }),
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "POST",
    url: "/api/admin/email/mailboxes/",
    body: JSON.stringify({
      name: "m",
      host: "h",
      port: 993,
      username: "u",
      password: "p",
      queue_id: 2147483648,
    }),
    code: "validation.invalid",
    status: 400,
  },
  { method: "GET", url: "/api/users/2147483648/", code: "validation.invalid", status: 400 },
  { method: "GET", url: "/api/tickets/9007199254740992/", code: "validation.invalid", status: 400 },
  { method: "GET", url: "/api/tickets/%201/", code: "validation.invalid", status: 400 },
  { method: "GET", url: "/api/tickets/1e3/", code: "validation.invalid", status: 400 },
  { method: "GET", url: "/api/tickets/?priority_id=1,2147483648", code: "validation.invalid", status: 400 },
  {
    method: "GET",
    url: "/api/admin/email/inbound/?mailbox_id=2147483648",
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "GET",
    url: "/api/admin/notifications/deliveries/?event_id=100000000000000000000",
    code: "validation.invalid",
    status: 400,
  },
  {
    method: "GET",
    url: `/api/users/?cursor=${cursor({ id: 2147483648 })}`,
    code: "pagination.bad_cursor",
    status: 400,
  },
  {
    method: "GET",
    url: `/api/notifications/?cursor=${cursor({ id: 1e300 })}`,
    code: "pagination.bad_cursor",
    status: 400,
  },
  {
    method: "GET",
    url: `/api/admin/email/outbox/?cursor=${cursor({ id: 1e300 })}`,
    code: "pagination.bad_cursor",
    status: 400,
  },
  {
    method: "GET",
    url: `/api/tickets/?q=x&cursor=${cursor({ id: 1, w: 1e308, r: 1 })}`,
    code: "pagination.bad_cursor",
    status: 400,
  },
  // a path that does not decode
  { method: "GET", url: "/api/tickets/%ED%A0%80/", code: "request.bad_url", status: 400 },
  // the slug is fixed at creation
  {
    method: "PATCH",
    url: "/api/queues/1/",
    body: JSON.stringify({ slug: "renamed" }),
    code: "validation.invalid",
    status: 400,
  },
  // multipart bodies that cannot be parsed
  ...["/api/upload/", "/api/messages/", "/api/notes/"].flatMap((url) => [
    {
      method: "POST" as const,
      url,
      body: "--x\r\n",
      headers: { "content-type": "multipart/form-data" },
      code: "uploads.malformed",
      status: 400,
    },
    {
      method: "POST" as const,
      url,
      body: `--${"b".repeat(300)}\r\n`,
      headers: { "content-type": `multipart/form-data; boundary=${"b".repeat(300)}` },
      code: "uploads.malformed",
      status: 400,
    },
    {
      method: "POST" as const,
      url,
      body: '--x\r\nContent-Disposition: form-data; name="ticket_id"\r\n\r\n1\r\n',
      headers: { "content-type": "multipart/form-data; boundary=x" },
      code: "uploads.malformed",
      status: 400,
    },
  ]),
];

const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("bad input", () => {
  it("gets a 4xx with a stable code and never a partial write, for every endpoint family", async () => {
    const before = await Promise.all(TABLES.map(count));
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
    const after = await Promise.all(TABLES.map(count));
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

  it("names the field whose text PostgreSQL cannot store", async () => {
    const res = await s.inject({
      method: "POST",
      url: "/api/tickets/",
      headers: admin.headers,
      payload: { title: "fine", description: "a\u0000b" },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: "validation.invalid",
      details: [
        { path: "body.description", message: "must not contain NUL characters or unpaired surrogates" },
      ],
    });
  });

  it("answers a value the database refuses with 400 request.invalid_value, logged as a bug (the safety net)", async () => {
    // The real driver errors of this database (PGlite or PostgreSQL), as drizzle throws them.
    const refused = async (query: ReturnType<typeof sql>) =>
      s.ctx.db.execute(query).then(
        () => undefined,
        (e: unknown) => e,
      );
    const nul = await refused(sql`SELECT ${"a\u0000b"}::text`);
    const range = await refused(sql`SELECT ${"2147483648"}::int`);
    const json = await refused(sql`SELECT ${'{"a":"\\u0000"}'}::jsonb`);
    const syntax = await refused(sql`SELEC 1`);
    for (const error of [nul, range, json])
      expect(classifyDatabaseInputError(error)?.code).toBe("request.invalid_value");
    expect(classifyDatabaseInputError(syntax)).toBeUndefined();
    expect(classifyDatabaseInputError(new Error("boom"))).toBeUndefined();

    const logged: { msg: string; sqlState?: string }[] = [];
    const logger = pino(
      { level: "error" },
      {
        write: (line: string) => {
          const { msg, sqlState } = JSON.parse(line) as { msg: string; sqlState?: string };
          logged.push({ msg, sqlState });
        },
      },
    );
    const app = Fastify({ loggerInstance: logger as FastifyBaseLogger });
    installErrorHandling(app);
    app.get("/range", async () => {
      throw range;
    });
    app.get("/syntax", async () => {
      throw syntax;
    });
    const res = await app.inject({ method: "GET", url: "/range" });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("request.invalid_value");
    expect(logged).toEqual([
      { msg: "bug: a request value reached the database unvalidated", sqlState: "22003" },
    ]);
    expect((await app.inject({ method: "GET", url: "/syntax" })).statusCode).toBe(500);
    await app.close();
  });

  it("answers a test mail the SMTP server refuses the address of with 400, and an SMTP outage with 502", async () => {
    const sink = await startSmtpSink({ refuseRecipients: /^nobody@/ });
    try {
      const smtp = (port: number) =>
        s.inject({
          method: "PUT",
          url: "/api/admin/email/smtp/",
          headers: admin.headers,
          payload: { host: "127.0.0.1", port, secure: false },
        });
      const test = (to: string) =>
        s.inject({ method: "POST", url: "/api/admin/email/test/", headers: admin.headers, payload: { to } });
      expect((await smtp(sink.port)).statusCode).toBe(200);
      expect((await test("admin@example.com")).statusCode).toBe(200);
      const refused = await test("nobody@example.com");
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error.code).toBe("email.recipient_refused");
      expect((await test("not an address")).json().error.code).toBe("validation.invalid");
      await sink.close();
      const down = await test("admin@example.com");
      expect(down.statusCode).toBe(502);
      expect(down.json().error.code).toBe("email.send_failed");
    } finally {
      await sink.close().catch(() => {});
      await s.inject({
        method: "PUT",
        url: "/api/admin/email/smtp/",
        headers: admin.headers,
        payload: { host: "", port: 25, secure: false },
      });
    }
  });
});
