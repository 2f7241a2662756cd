import { readdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSmtpSink } from "../email/smtp-sink.js";
import { startTestServer, TEST_DB, type TTestServer } from "../helpers.js";
import {
  BAD_CURSORS,
  BAD_PARAM_VALUES,
  BAD_PATH_VALUES,
  BAD_SEARCHES,
  BODY_MUTATIONS,
  badValuesFor,
  createRandom,
  listOperations,
  multipartBody,
  multipartMutations,
  type TFuzzCase,
  type TOperation,
  toJsonText,
  validObject,
} from "./fuzz-corpus.js";

/** Change the seed to explore; the corpus is the same on every run with the same seed. */
const SEED = 0x1d35_7a11;
/** Share of the corpus also sent as a requester (the whole corpus is sent as an admin). */
const REQUESTER_SHARE = 0.3;
const ANSWER_WITHIN_MS = 10_000;
/** Short enough for the socket tests below, which stall an upload on purpose. */
const UPLOAD_STALL_TIMEOUT_MS = 1000;

type TLogEntry = {
  level: number;
  msg?: string;
  err?: { type?: string; message?: string; code?: string; cause?: { message?: string; code?: string } };
};
const logs: TLogEntry[] = [];
const logger = pino(
  {
    level: "error",
    serializers: {
      err: (e: Error & { code?: string; cause?: { message?: string; code?: string } }) => ({
        type: e.constructor?.name,
        message: e.message?.slice(0, 300),
        code: e.code,
        cause: e.cause ? { message: e.cause.message, code: e.cause.code } : undefined,
      }),
    },
  },
  { write: (line: string) => logs.push(JSON.parse(line) as TLogEntry) },
);

let s: TTestServer;
let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let admin: { id: number; email: string; headers: { authorization: string } };
let requester: { id: number; email: string; headers: { authorization: string } };
const passwords = new Map<string, string>();
const fx = {
  ticket: 0,
  message: 0,
  note: 0,
  victim: 0,
  executor: 0,
  queue: 0,
  category: 0,
  priority: 0,
  department: 0,
  mailbox: 0,
  account: 0,
  attachment: "",
};

/** Main tables that requests write synchronously (notifications and the outbox are written by jobs). */
const TABLES = [
  "tickets",
  "ticket_messages",
  "ticket_events",
  "attachments",
  "users",
  "user_departments",
  "queues",
  "categories",
  "priorities",
  "departments",
  "settings",
  "channel_accounts",
  "inbound_items",
  "idempotency_keys",
  "sessions",
  "api_tokens",
  "ticket_watchers",
  "push_subscriptions",
];
/** Per table: row count and an order-free sum of row hashes (any changed value changes it). */
const DIGEST_SQL = `SELECT ${TABLES.map(
  (t) => `(SELECT count(*) || ':' || coalesce(sum(hashtext(t::text)::bigint), 0) FROM ${t} t) AS ${t}`,
).join(", ")}`;
const digest = async () =>
  (await s.ctx.database.executor.executeSql(DIGEST_SQL)).rows[0] as Record<string, string>;
const changedTables = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).filter((k) => a[k] !== b[k]);
const tempFiles = () => readdirSync(path.join(s.config.dataDir, "tmp"));

const withDeadline = <T>(p: Promise<T>, ms: number): Promise<T | "timeout"> =>
  Promise.race([p, new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), ms).unref())]);

beforeAll(async () => {
  sink = await startSmtpSink();
  s = await startTestServer({
    logger,
    env: { SMTP_URL: sink.url, UPLOAD_STALL_TIMEOUT_MS: String(UPLOAD_STALL_TIMEOUT_MS) },
  });
  const a = await s.createUser({ role: "admin" });
  const r = await s.createUser({ role: "requester" });
  passwords.set(a.email, a.password);
  passwords.set(r.email, r.password);
  admin = { ...a, headers: await s.login(a.email, a.password) };
  requester = { ...r, headers: await s.login(r.email, r.password) };
  fx.victim = (await s.createUser({ role: "requester" })).id;
  fx.executor = (await s.createUser({ role: "executor", departmentIds: [1] })).id;
  const post = async (url: string, payload: unknown, headers = admin.headers) => {
    const res = await s.inject({ method: "POST", url, headers, payload: payload as object });
    if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    return res.json() as { id: number };
  };
  fx.department = (await post("/api/departments/", { name_ru: "Фазз", name_en: "Fuzz" })).id;
  fx.queue = (await post("/api/queues/", { name_ru: "Фазз", name_en: "Fuzz", department_id: 1 })).id;
  fx.category = (await post("/api/categories/", { name_ru: "Фазз", name_en: "Fuzz" })).id;
  fx.priority = (await post("/api/priorities/", { name_ru: "Фазз", name_en: "Fuzz", rank: 50 })).id;
  fx.ticket = (await post("/api/tickets/", { title: "Fuzz base" }, requester.headers)).id;
  fx.message = (await post("/api/messages/", { ticket_id: fx.ticket, text: "reply" })).id;
  fx.note = (await post("/api/notes/", { ticket_id: fx.ticket, text: "note" })).id;
  fx.mailbox = (
    await post("/api/admin/email/mailboxes/", {
      name: "Fuzz",
      host: "127.0.0.1",
      port: 9,
      username: "u",
      password: "p",
    })
  ).id;
  // A personal Telegram account: adding one talks to no server (a bot's token is checked with getMe).
  fx.account = (
    await post("/api/accounts/", {
      name: "Fuzz",
      account_type: "personal",
      phone_number: "+447700900123",
      api_id: 12345,
      api_hash: "0123456789abcdef0123456789abcdef",
    })
  ).id;
  const form = new FormData();
  form.append("file", new Blob(["hello"], { type: "text/plain" }), "hello.txt");
  fx.attachment = (
    await s.app.inject({ method: "POST", url: "/api/upload/", headers: admin.headers, payload: form })
  ).json().id;
  // Generated once, lazily: warm it so a later request does not write the settings table.
  await s.inject({ method: "GET", url: "/api/push/vapid-public-key", headers: admin.headers });
}, 120_000);

afterAll(async () => {
  await s?.close();
  await sink?.close();
});

/** A real id for a path parameter, by the collection it names (new collections fall back to 1). */
function fixtureFor(opPath: string, param: string): string {
  const segments = opPath.split("/");
  const owner = segments[segments.indexOf(`{${param}}`) - 1];
  const byOwner: Record<string, string | number> = {
    tickets: fx.ticket,
    messages: fx.message,
    notes: fx.note,
    users: fx.victim,
    queues: fx.queue,
    categories: fx.category,
    priorities: fx.priority,
    departments: fx.department,
    mailboxes: fx.mailbox,
    attachments: fx.attachment,
    accounts: fx.account,
  };
  return String(byOwner[owner ?? ""] ?? 1);
}

/** Ids that body fields refer to, by field name. */
const bodyIds = () => ({
  ticket_id: fx.ticket,
  executor_id: fx.executor,
  assignee_id: fx.executor,
  requester_id: fx.victim,
  queue_id: fx.queue,
  category_id: fx.category,
  priority_id: fx.priority,
  department_id: fx.department,
});

function urlOf(op: TOperation, pathValues: Record<string, string> = {}, query = ""): string {
  let url = op.path;
  for (const p of op.pathParams) url = url.replace(`{${p}}`, pathValues[p] ?? fixtureFor(op.path, p));
  return `${url}/${query ? `?${query}` : ""}`;
}

/** Every malformed request for one operation. */
function casesFor(op: TOperation, rnd: ReturnType<typeof createRandom>): TFuzzCase[] {
  const cases: TFuzzCase[] = [];
  const ids = bodyIds();
  const base = op.body ? validObject(op.body, ids, "required") : undefined;
  const json = { "content-type": "application/json" };
  const add = (label: string, url: string, extra: Partial<TFuzzCase> = {}) =>
    cases.push({ op, label, url, method: op.method, headers: {}, ...extra });
  const withBase = base !== undefined ? { payload: toJsonText(base), headers: json } : {};

  for (const p of op.pathParams) {
    for (const v of BAD_PATH_VALUES) add(`path ${p}=${v.slice(0, 20)}`, urlOf(op, { [p]: v }), withBase);
  }
  for (const q of op.query) {
    const values = q.name === "cursor" ? BAD_CURSORS : q.name === "q" ? BAD_SEARCHES : BAD_PARAM_VALUES;
    for (const v of values) add(`query ${q.name}=${v.slice(0, 20)}`, urlOf(op, {}, `${q.name}=${v}`));
    add(`query ${q.name} twice`, urlOf(op, {}, `${q.name}=1&${q.name}=2`));
  }
  if (op.query.length > 0) add("unknown query parameter", urlOf(op, {}, "__fuzz=%00"));

  if (op.body) {
    add("valid-looking body", urlOf(op), withBase);
    for (const m of BODY_MUTATIONS) {
      add(`body ${m.label}`, urlOf(op), {
        payload: m.text,
        headers: m.contentType === "" ? {} : { "content-type": m.contentType ?? "application/json" },
      });
    }
    for (const [key, schema] of Object.entries(op.body.properties ?? {})) {
      for (const bad of badValuesFor(schema, rnd)) {
        add(`body ${key}=${bad.label}`, urlOf(op), {
          payload: toJsonText({ ...base, [key]: bad.value }),
          headers: json,
        });
      }
    }
  }

  const takesBody = op.method === "POST" || op.method === "PUT" || op.method === "PATCH";
  if (takesBody && (op.body || op.pathParams.length === 0)) {
    for (const m of multipartMutations(fx.ticket)) {
      add(`multipart ${m.label}`, urlOf(op), {
        payload: m.body,
        headers: { "content-type": m.contentType },
        multipart: true,
      });
    }
  }

  for (const authorization of ["Bearer garbage", "Token \u00ff\u00fe", "Basic Zm9vOmJhcg==", "Bearer "]) {
    add(`authorization ${authorization}`, urlOf(op), {
      ...withBase,
      headers: { ...withBase.headers, authorization },
    });
  }
  if (op.method === "POST" && op.body) {
    for (const key of ["x".repeat(129), "\u00ff\u00fe", "a b"]) {
      add(`idempotency key ${JSON.stringify(key.slice(0, 10))}`, urlOf(op), {
        ...withBase,
        headers: { ...withBase.headers, "idempotency-key": key },
      });
    }
  }
  return cases;
}

type TFailure = { kind: string; request: string; status: number | "timeout"; detail: string };

const normalise = (text: string) =>
  text
    .replace(/Failed query: [\s\S]*?params: [\s\S]*?: /, "Failed query: ")
    .replace(/\d+/g, "N")
    .slice(0, 160);

/** Re-signs an actor in when a fuzzed request ended their session (logout is fuzzed too). */
async function ensureSignedIn(actor: typeof admin) {
  const res = await s.inject({ method: "GET", url: "/api/auth/profile/", headers: actor.headers });
  if (res.statusCode === 200) return;
  actor.headers = await s.app
    .inject({
      method: "POST",
      url: "/api/auth/login/",
      payload: { email: actor.email, password: passwords.get(actor.email) },
      remoteAddress: "10.77.0.1",
    })
    .then((r) => ({ authorization: `Bearer ${r.json().access}` }));
}

describe("#fuzz every operation of the OpenAPI document", () => {
  it(
    "answers every malformed request with a coded 4xx in time, never a 5xx, and writes nothing",
    async () => {
      const rnd = createRandom(SEED);
      const ops = listOperations(s.app.swagger());
      expect(ops.length).toBeGreaterThan(80);
      const failures: TFailure[] = [];
      const statuses = new Map<number, number>();
      let sent = 0;
      const leaked = new Set<string>();
      let before = await digest();
      const started = Date.now();
      const timing = { inject: 0, digest: 0 };
      const perOp = new Map<string, number>();
      for (const op of ops) {
        const cases = casesFor(op, rnd);
        for (const c of cases) {
          for (const who of ["admin", "requester"] as const) {
            if (who === "requester" && rnd.next() > REQUESTER_SHARE) continue;
            const actor = who === "admin" ? admin : requester;
            const request = `${who} ${c.method} ${c.url.slice(0, 120)} [${c.label}]`;
            const logMark = logs.length;
            const t0 = Date.now();
            const res = await withDeadline(
              s.inject({
                method: c.method,
                url: c.url,
                headers: { ...actor.headers, ...c.headers },
                payload: c.payload,
                remoteAddress: `10.${Math.floor(rnd.next() * 250)}.${Math.floor(rnd.next() * 250)}.1`,
              }),
              ANSWER_WITHIN_MS,
            );
            sent += 1;
            const opName = `${c.method} ${c.op.path}`;
            timing.inject += Date.now() - t0;
            perOp.set(opName, (perOp.get(opName) ?? 0) + Date.now() - t0);
            if (res === "timeout") {
              failures.push({ kind: `hang ${opName}`, request, status: "timeout", detail: "no answer" });
              continue;
            }
            statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
            const body = (() => {
              try {
                return res.json() as { error?: { code?: unknown; message?: unknown } };
              } catch {
                return undefined;
              }
            })();
            const code = typeof body?.error?.code === "string" ? body.error.code : undefined;
            const logged = logs.slice(logMark);
            const cause = logged[0]?.err
              ? normalise(
                  `${logged[0].err.cause?.code ?? logged[0].err.code ?? ""} ${logged[0].err.cause?.message ?? logged[0].err.message ?? ""}`,
                )
              : (code ?? "");
            if (res.statusCode >= 500 && !(res.statusCode === 502 && code === "email.send_failed")) {
              failures.push({
                kind: `${res.statusCode} ${opName}: ${cause}`,
                request,
                status: res.statusCode,
                detail: res.body.slice(0, 200),
              });
            } else if (logged.length > 0) {
              failures.push({
                kind: `logged as error ${opName}: ${cause}`,
                request,
                status: res.statusCode,
                detail: logged.map((l) => l.msg).join("; "),
              });
            }
            if (res.statusCode >= 400 && res.statusCode < 500) {
              if (!code || typeof body?.error?.message !== "string") {
                failures.push({
                  kind: `no error code ${opName}`,
                  request,
                  status: res.statusCode,
                  detail: res.body.slice(0, 200),
                });
              }
            }
            if (Date.now() - t0 > ANSWER_WITHIN_MS / 2) {
              failures.push({
                kind: `slow ${opName}`,
                request,
                status: res.statusCode,
                detail: `${Date.now() - t0} ms`,
              });
            }
            const d0 = Date.now();
            const after = await digest();
            timing.digest += Date.now() - d0;
            if (res.statusCode >= 400) {
              const changed = changedTables(before, after);
              if (changed.length > 0) {
                failures.push({
                  kind: `partial write ${opName} (${changed.join(",")})`,
                  request,
                  status: res.statusCode,
                  detail: code ?? "",
                });
              }
            }
            before = after;
            if (c.multipart) {
              // Reported once each: a leaked file stays.
              const left = tempFiles().filter((f) => !leaked.has(f));
              for (const f of left) leaked.add(f);
              if (left.length > 0) {
                failures.push({
                  kind: `temp files left ${opName}`,
                  request,
                  status: res.statusCode,
                  detail: left.join(","),
                });
              }
            }
          }
        }
        await ensureSignedIn(admin);
        await ensureSignedIn(requester);
        before = await digest();
      }
      const kinds = new Map<string, TFailure[]>();
      for (const f of failures) kinds.set(f.kind, [...(kinds.get(f.kind) ?? []), f]);
      const report = [...kinds.entries()]
        .sort((x, y) => y[1].length - x[1].length)
        .map(
          ([kind, list]) =>
            `${list.length} × ${kind}\n    e.g. ${list[0]!.request} → ${list[0]!.status} ${list[0]!.detail}`,
        )
        .join("\n");
      const summary = `${TEST_DB}: ${sent} requests over ${ops.length} operations in ${Math.round((Date.now() - started) / 1000)} s; statuses ${JSON.stringify(Object.fromEntries(statuses))}; ${failures.length} failures in ${kinds.size} kinds`;
      const slowest = [...perOp.entries()].sort((x, y) => y[1] - x[1]).slice(0, 8);
      if (process.env.FUZZ_REPORT)
        writeFileSync(
          process.env.FUZZ_REPORT,
          `${summary}\ntiming ${JSON.stringify(timing)} slowest ${JSON.stringify(slowest)}\n${report}\n`,
        );
      expect(failures.length, `${summary}\n${report}`).toBe(0);
    },
    15 * 60_000,
  );

  it("answers an empty PATCH on every route with 200 and the unchanged entity, and writes nothing", async () => {
    const ops = listOperations(s.app.swagger()).filter((o) => o.method === "PATCH");
    expect(ops.length).toBeGreaterThan(5);
    for (const op of ops) {
      const url = urlOf(op);
      const get = await s.inject({ method: "GET", url, headers: admin.headers });
      const before = await digest();
      const res = await s.inject({ method: "PATCH", url, headers: admin.headers, payload: {} });
      expect(res.statusCode, `${url} ${res.body}`).toBe(200);
      expect(changedTables(before, await digest()), url).toEqual([]);
      // Where the entity can be read on its own, the PATCH answers exactly what a GET does.
      if (get.statusCode === 200) expect(res.json(), url).toEqual(get.json());
    }
  });
});

/** One raw HTTP exchange: the body may be cut short and the socket half-closed or left stalled. */
function rawExchange(
  port: number,
  head: string,
  body: Buffer,
  how: "half-close" | "stall",
  waitMs: number,
): Promise<{ answered: boolean; status?: number; text: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      resolve({ answered: status !== undefined, status: status ? Number(status) : undefined, text });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on("data", (d) => {
      text += d.toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      const length = /content-length: (\d+)/i.exec(text)?.[1];
      if (split > 0 && length && Buffer.byteLength(text.slice(split + 4)) >= Number(length)) finish();
    });
    socket.on("close", finish);
    socket.on("error", finish);
    socket.write(head);
    socket.write(body, () => {
      if (how === "half-close") socket.end();
    });
  });
}

describe("#fuzz multipart over real sockets", () => {
  it("answers truncated and stalled multipart bodies with a coded 4xx and leaves no temp file or row", async () => {
    await s.app.listen({ port: 0, host: "127.0.0.1" });
    const port = (s.app.server.address() as { port: number }).port;
    const rnd = createRandom(SEED + 1);
    const B = "rawfuzz";
    const problems: string[] = [];
    const leaked = new Set(tempFiles());
    /** Temp files seen after a request, by the request that may have left them. */
    const suspects = new Map<string, string>();
    const countAttachments = async () =>
      Number(
        (await s.ctx.database.executor.executeSql("SELECT count(*)::int AS n FROM attachments")).rows[0]!.n,
      );
    const attachmentsBefore = await countAttachments();
    for (const url of ["/api/upload/", "/api/messages/", "/api/notes/"]) {
      for (let i = 0; i < 12; i++) {
        const file = Buffer.alloc(64 * 1024 + Math.floor(rnd.next() * 256 * 1024), 0x61);
        const full = multipartBody(B, [
          { name: "ticket_id", value: String(fx.ticket) },
          { name: "text", value: "raw" },
          { name: "file", filename: `raw${i}.txt`, type: "text/plain", value: file },
        ]);
        const cut = Math.floor(full.length * (0.1 + 0.8 * rnd.next()));
        const how = i % 4 === 3 ? "stall" : "half-close";
        const chunked = i % 3 === 0;
        const head = [
          `POST ${url} HTTP/1.1`,
          "Host: 127.0.0.1",
          `Authorization: ${admin.headers.authorization}`,
          `Content-Type: multipart/form-data; boundary=${B}`,
          chunked ? "Transfer-Encoding: chunked" : `Content-Length: ${full.length}`,
          "",
          "",
        ].join("\r\n");
        const sentBody = chunked
          ? Buffer.concat([
              Buffer.from(`${cut.toString(16)}\r\n`),
              full.subarray(0, cut),
              Buffer.from("\r\n"),
            ])
          : full.subarray(0, cut);
        const r = await rawExchange(port, head, sentBody, how, UPLOAD_STALL_TIMEOUT_MS + 4000);
        const label = `${url} ${how} ${chunked ? "chunked" : "content-length"} at ${cut}/${full.length}`;
        const json = r.text.slice(r.text.indexOf("\r\n\r\n") + 4);
        if (!r.answered) problems.push(`${label}: no answer`);
        else if (r.status! < 400 || r.status! >= 500) problems.push(`${label}: ${r.status}`);
        else if (!/"code":"[a-z_.]+"/.test(json)) problems.push(`${label}: no code in ${json.slice(0, 100)}`);
        // The handler may still be tidying up after the socket closed: note what is there now
        // and look again at the end, so a slow machine is not taken for a leak.
        for (const f of tempFiles()) {
          if (leaked.has(f) || suspects.has(f)) continue;
          suspects.set(f, label);
        }
      }
    }
    for (let wait = 0; wait < 200 && [...suspects.keys()].some((f) => tempFiles().includes(f)); wait++)
      await new Promise((x) => setTimeout(x, 50));
    const left = new Set(tempFiles());
    for (const [f, label] of suspects) if (left.has(f)) problems.push(`${label}: temp file ${f} left`);
    expect(problems).toEqual([]);
    expect(await countAttachments()).toBe(attachmentsBefore);
  }, 120_000);
});
