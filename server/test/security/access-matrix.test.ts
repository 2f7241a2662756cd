import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DELIVER_JOB,
  waitForNotificationsIdle,
} from "../../src/modules/notifications/notifications.engine.js";
import { startTestServer, type TTestServer } from "../helpers.js";
import { openSocket, subscribe, type TTestSocket, wsUrl } from "../realtime/ws-client.js";

/**
 * Who learns what, through every way out: the HTTP API (tickets, conversation, history,
 * messages, notes, files, lists, search and its typo correction), the WebSocket (events and
 * notifications) and notifications (in-app, e-mail, push), while tickets move between
 * departments and people change role, department or lose their account. Zero leaks.
 */

type TPerson = { id: number; email: string; headers: { authorization: string }; name: string };
type TTicket = { id: number; word: string; noteWord: string; attachmentId: string; noteAttachmentId: string };

let s: TTestServer;
let address: string;
const sockets: TTestSocket[] = [];
let admin: TPerson;
let people: Record<"opA" | "opB" | "exA" | "exB" | "reqA" | "reqB", TPerson>;
let queueA: number;
let queueB: number;
let deptA: number;
let deptB: number;
let tA: TTicket;
let tB: TTicket;

const req = async (
  method: "GET" | "POST" | "PATCH" | "DELETE",
  url: string,
  who: TPerson,
  payload?: object,
) =>
  s.inject({
    method,
    url,
    headers: who.headers,
    ...(payload ? { payload: payload as Record<string, unknown> } : {}),
  });

const ok = async (
  method: "GET" | "POST" | "PATCH" | "DELETE",
  url: string,
  who: TPerson,
  payload?: object,
) => {
  const res = await req(method, url, who, payload);
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
  return res.json();
};

async function upload(who: TPerson, name: string): Promise<string> {
  const boundary = "----matrix";
  const body =
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/plain\r\n\r\n` +
    `contents of ${name}\r\n--${boundary}--\r\n`;
  const res = await s.inject({
    method: "POST",
    url: "/api/upload/",
    headers: { ...who.headers, "content-type": `multipart/form-data; boundary=${boundary}` },
    payload: body,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

async function person(role: "operator" | "executor" | "requester", departmentIds: number[], name: string) {
  const u = await s.createUser({ role, departmentIds, name });
  return { id: u.id, email: u.email, headers: await s.login(u.email, u.password), name };
}

/** A ticket of `requester` in `queue`, with a distinctive title word, a public reply with a file, and a note with a file. */
async function fileTicket(requester: TPerson, queue: number, word: string, noteWord: string, staff: TPerson) {
  const attachmentId = await upload(requester, `${word}.txt`);
  const t = await ok("POST", "/api/tickets/", requester, {
    title: `${word} не работает`,
    description: `Подробности про ${word}`,
    queue_id: queue,
    attachment_ids: [attachmentId],
  });
  const noteAttachmentId = await upload(staff, `${noteWord}.txt`);
  await ok("POST", "/api/notes/", staff, {
    ticket_id: t.id,
    text: `Служебно: ${noteWord}`,
    attachment_ids: [noteAttachmentId],
  });
  return { id: t.id as number, word, noteWord, attachmentId, noteAttachmentId };
}

beforeAll(async () => {
  s = await startTestServer();
  address = await s.app.listen({ port: 0, host: "127.0.0.1" });
  const a = await s.createUser({ role: "admin", name: "Admin" });
  admin = { id: a.id, email: a.email, headers: await s.login(a.email, a.password), name: "Admin" };
  deptA = (await ok("POST", "/api/departments/", admin, { name_ru: "Отдел А", name_en: "Dept A" })).id;
  deptB = (await ok("POST", "/api/departments/", admin, { name_ru: "Отдел Б", name_en: "Dept B" })).id;
  queueA = (
    await ok("POST", "/api/queues/", admin, {
      name_ru: "Очередь А",
      name_en: "Queue A",
      slug: "matrix-a",
      department_id: deptA,
    })
  ).id;
  queueB = (
    await ok("POST", "/api/queues/", admin, {
      name_ru: "Очередь Б",
      name_en: "Queue B",
      slug: "matrix-b",
      department_id: deptB,
    })
  ).id;
  people = {
    opA: await person("operator", [deptA], "Operator A"),
    opB: await person("operator", [deptB], "Operator B"),
    exA: await person("executor", [deptA], "Executor A"),
    exB: await person("executor", [deptB], "Executor B"),
    reqA: await person("requester", [], "Requester A"),
    reqB: await person("requester", [], "Requester B"),
  };
  tA = await fileTicket(people.reqA, queueA, "вентилятор", "паролькоролевы", people.opA);
  tB = await fileTicket(people.reqB, queueB, "кондиционер", "секретныйшифр", people.opB);
});
afterAll(async () => {
  await Promise.all(sockets.map((t) => t.close()));
  await s?.close();
});

const everyone = () => [admin, ...Object.values(people)];

/** What each person may see right now, by the product's rule (written out independently of the code). */
type TExpectation = { ticket: boolean; notes: boolean };

async function expectAccess(who: TPerson, t: TTicket, expected: TExpectation) {
  const label = `${who.name} → #${t.id}`;
  const status = async (url: string) => (await req("GET", url, who)).statusCode;
  const seen = expected.ticket ? 200 : 404;
  expect(await status(`/api/tickets/${t.id}/`), `${label} ticket`).toBe(seen);
  expect(await status(`/api/tickets/${t.id}/messages/`), `${label} conversation`).toBe(seen);
  expect(await status(`/api/tickets/${t.id}/history/`), `${label} history`).toBe(seen);
  expect(await status(`/api/messages/?ticket_id=${t.id}`), `${label} messages`).toBe(seen);
  expect(await status(`/api/attachments/${t.attachmentId}/`), `${label} file`).toBe(seen);
  const notesSeen = expected.ticket && expected.notes ? 200 : 404;
  expect(await status(`/api/notes/?ticket_id=${t.id}`), `${label} notes`).toBe(notesSeen);
  expect(await status(`/api/attachments/${t.noteAttachmentId}/`), `${label} note file`).toBe(notesSeen);
  if (expected.ticket) {
    const bodies = [
      (await req("GET", `/api/tickets/${t.id}/`, who)).body,
      (await req("GET", `/api/tickets/${t.id}/messages/`, who)).body,
      (await req("GET", `/api/tickets/${t.id}/history/`, who)).body,
    ].join("\n");
    if (expected.notes) expect(bodies, `${label} shows its note`).toContain(t.noteWord);
    else {
      expect(bodies, `${label} hides its note`).not.toContain(t.noteWord);
      expect(bodies, `${label} hides the note's file`).not.toContain(t.noteAttachmentId);
    }
  }
  // Lists and search: the ticket is listed exactly when it may be seen.
  const listed = async (url: string) => {
    const res = await req("GET", url, who);
    if (res.statusCode === 403) return false;
    expect(res.statusCode, `${label} ${url}`).toBe(200);
    return (res.json().results as { id: number }[]).some((r) => r.id === t.id);
  };
  expect(await listed("/api/tickets/?limit=100"), `${label} list`).toBe(expected.ticket);
  expect(await listed(`/api/tickets/?q=${encodeURIComponent(t.word)}`), `${label} search`).toBe(
    expected.ticket,
  );
  if (!expected.notes) {
    expect(await listed(`/api/tickets/?q=${encodeURIComponent(t.noteWord)}`), `${label} note search`).toBe(
      false,
    );
  }
  if (
    who.id !== admin.id &&
    (await req("GET", "/api/tickets/all-tickets/?limit=100", who)).statusCode === 200
  ) {
    expect(await listed("/api/tickets/all-tickets/?limit=100"), `${label} all-tickets`).toBe(expected.ticket);
  }
  // Typo correction: a near-miss of a word is corrected only to words the person may see.
  const typo = `${t.word.slice(0, 4)}${t.word[4] === "а" ? "о" : "а"}${t.word.slice(5)}`;
  const corrected = await req("GET", `/api/tickets/?q=${encodeURIComponent(typo)}`, who);
  expect(corrected.statusCode).toBe(200);
  const { corrected_query: fix, results } = corrected.json() as {
    corrected_query?: string;
    results: { id: number }[];
  };
  if (expected.ticket) expect(fix, `${label} typo "${typo}"`).toBe(t.word);
  else {
    expect(fix ?? "", `${label} typo "${typo}" must not reveal "${t.word}"`).not.toContain(t.word);
    expect(results.some((r) => r.id === t.id)).toBe(false);
  }
}

/** The rule: admin all; requester own; operator the department's queues; executor assigned or the department's queues. */
function rule(
  who: TPerson,
  t: { requesterId: number; queueDept: number; assigneeId: number | null },
  roles: Record<number, { role: string; depts: number[] }>,
): TExpectation {
  const r = roles[who.id]!;
  const ticket =
    r.role === "admin" ||
    (r.role === "requester" && t.requesterId === who.id) ||
    (r.role === "operator" && r.depts.includes(t.queueDept)) ||
    (r.role === "executor" && (t.assigneeId === who.id || r.depts.includes(t.queueDept)));
  return { ticket, notes: ticket && r.role !== "requester" };
}

async function checkMatrix(state: {
  roles: Record<number, { role: string; depts: number[] }>;
  tickets: { t: TTicket; requesterId: number; queueDept: number; assigneeId: number | null }[];
}) {
  for (const who of everyone()) {
    if (!state.roles[who.id]) continue;
    for (const facts of state.tickets) await expectAccess(who, facts.t, rule(who, facts, state.roles));
  }
}

const rolesNow = (): Record<number, { role: string; depts: number[] }> => ({
  [admin.id]: { role: "admin", depts: [] },
  [people.opA.id]: { role: "operator", depts: [deptA] },
  [people.opB.id]: { role: "operator", depts: [deptB] },
  [people.exA.id]: { role: "executor", depts: [deptA] },
  [people.exB.id]: { role: "executor", depts: [deptB] },
  [people.reqA.id]: { role: "requester", depts: [] },
  [people.reqB.id]: { role: "requester", depts: [] },
});

async function connect(who: TPerson): Promise<TTestSocket> {
  const t = await openSocket(wsUrl(address), who.headers);
  sockets.push(t);
  await subscribe(t, ["tickets"]);
  return t;
}

const notificationsOf = async (who: TPerson) => {
  await waitForNotificationsIdle();
  return (await ok("GET", "/api/notifications/?limit=100", who)) as {
    results: { ticket_id: number; kind: string; title: string; body: string }[];
    unread_count: number;
  };
};

const deliveriesTo = async (userId: number, ticketId: number) => {
  await waitForNotificationsIdle();
  const res = await s.ctx.db.execute<{ channel: string; status: string; last_error: string | null }>(
    sql`SELECT channel, status, last_error FROM notification_deliveries WHERE user_id = ${userId} AND ticket_id = ${ticketId} ORDER BY id`,
  );
  return res.rows;
};

describe("access matrix", () => {
  it("holds for every role, endpoint, list and search at the start", async () => {
    await checkMatrix({
      roles: rolesNow(),
      tickets: [
        { t: tA, requesterId: people.reqA.id, queueDept: deptA, assigneeId: null },
        { t: tB, requesterId: people.reqB.id, queueDept: deptB, assigneeId: null },
      ],
    });
  });

  it("follows a ticket that moves to another department, and a watcher who lost it hears nothing more", async () => {
    const watcher = people.opA;
    await ok("POST", `/api/tickets/${tA.id}/watch/`, watcher);
    const before = await notificationsOf(watcher);
    const ws = await connect(watcher);
    // Assigned to executor A (department A), then moved to department B's queue by the admin.
    await ok("POST", `/api/tickets/${tA.id}/assign/`, admin, { executor_id: people.exA.id });
    await ok("PATCH", `/api/tickets/${tA.id}/`, admin, { queue_id: queueB });
    await ws.next((m) => m.type === "event" && m.ticket_id === tA.id && m.event_type === "updated");
    const cut = ws.messages.length;
    // Department B's operator writes a note and a reply on it.
    await ok("POST", "/api/notes/", people.opB, { ticket_id: tA.id, text: "Внутреннее: переехало к нам" });
    await ok("POST", "/api/messages/", people.opB, { ticket_id: tA.id, text: "Ответ клиенту" });
    await waitForNotificationsIdle();
    await ws.expectNone(
      (m) =>
        ws.messages.indexOf(m) >= cut &&
        (m.ticket_id === tA.id ||
          (m.type === "notification" && (m.notification as { ticket_id?: number })?.ticket_id === tA.id)),
      400,
    );
    const after = await notificationsOf(watcher);
    expect(after.results.filter((n) => n.ticket_id === tA.id)).toEqual([]);
    expect(after.unread_count).toBeLessThanOrEqual(before.unread_count);
    expect(JSON.stringify(after)).not.toContain("переехало");
    // Nothing went out by e-mail or push after the move, and the watch ended.
    const sent = await deliveriesTo(watcher.id, tA.id);
    expect(sent.filter((d) => d.status === "queued" || d.status === "sending")).toEqual([]);
    const watchers = await s.ctx.db.execute(
      sql`SELECT 1 FROM ticket_watchers WHERE ticket_id = ${tA.id} AND user_id = ${watcher.id}`,
    );
    expect(watchers.rows).toHaveLength(0);
    // Executor A keeps it (assigned), operator B and executor B now see it, requester A still does.
    await checkMatrix({
      roles: rolesNow(),
      tickets: [
        { t: tA, requesterId: people.reqA.id, queueDept: deptB, assigneeId: people.exA.id },
        { t: tB, requesterId: people.reqB.id, queueDept: deptB, assigneeId: null },
      ],
    });
  });

  it("checks a queued delivery again when it is sent: the ticket moved away in between", async () => {
    const { rows } = await s.ctx.db.execute<{ id: number }>(sql`
      SELECT id::float8 AS id FROM ticket_events WHERE ticket_id = ${tB.id} AND type = 'note' ORDER BY id LIMIT 1`);
    const eventId = Number(rows[0]!.id);
    // A delivery decided while operator A could see the ticket (as if fanned out then)…
    const inserted = await s.ctx.db.execute<{ id: number }>(sql`
      INSERT INTO notification_deliveries (event_id, user_id, channel, kind, ticket_id)
      VALUES (${eventId}, ${people.opA.id}, 'email', 'new_note', ${tB.id}) RETURNING id::float8 AS id`);
    const deliveryId = Number(inserted.rows[0]!.id);
    const mailsBefore = await s.ctx.db.execute(sql`SELECT count(*)::int AS n FROM email_outbox`);
    // …is sent after operator A has no right to the ticket: nothing goes out.
    await s.ctx.jobs.runNow(DELIVER_JOB, { deliveryId });
    const row = await s.ctx.db.execute<{ status: string; last_error: string }>(
      sql`SELECT status, last_error FROM notification_deliveries WHERE id = ${deliveryId}`,
    );
    expect(row.rows[0]).toMatchObject({
      status: "skipped",
      last_error: "the recipient may no longer see this ticket",
    });
    const mailsAfter = await s.ctx.db.execute(sql`SELECT count(*)::int AS n FROM email_outbox`);
    expect(mailsAfter.rows[0]).toEqual(mailsBefore.rows[0]);
  });

  it("never hands a socket a notification about a ticket its user may not see", async () => {
    const ws = await connect(people.reqA);
    s.ctx.bus.publish({
      type: "notification_created",
      userId: people.reqA.id,
      ticketId: tB.id,
      notification: { id: 1, kind: "new_message", ticket_id: tB.id, title: "x", body: "кондиционер" },
      at: new Date().toISOString(),
    });
    s.ctx.bus.publish({
      type: "notification_created",
      userId: people.reqA.id,
      ticketId: tA.id,
      notification: { id: 2, kind: "new_note", ticket_id: tA.id, title: "y", body: "note" },
      at: new Date().toISOString(),
    });
    s.ctx.bus.publish({
      type: "notification_created",
      userId: people.reqA.id,
      ticketId: tA.id,
      notification: { id: 3, kind: "new_message", ticket_id: tA.id, title: "z", body: "ok" },
      at: new Date().toISOString(),
    });
    const got = await ws.next((m) => m.type === "notification");
    expect((got.notification as { id: number }).id).toBe(3);
    expect(ws.ofType("notification")).toHaveLength(1);
  });

  it("applies a change of role at once: an executor made requester stops receiving notes", async () => {
    const ex = people.exB;
    const ws = await connect(ex);
    await ok("POST", `/api/tickets/${tB.id}/watch/`, ex);
    await ok("PATCH", `/api/users/${ex.id}/`, admin, { role: "requester", department_ids: [] });
    const cut = ws.messages.length;
    await ok("POST", "/api/notes/", people.opB, { ticket_id: tB.id, text: "После смены роли" });
    await ok("POST", "/api/messages/", people.opB, { ticket_id: tB.id, text: "Публично после смены роли" });
    await waitForNotificationsIdle();
    await ws.expectNone(
      (m) => ws.messages.indexOf(m) >= cut && (m.type === "event" || m.type === "notification"),
      400,
    );
    expect(JSON.stringify(await notificationsOf(ex))).not.toContain("После смены роли");
    const roles = rolesNow();
    roles[ex.id] = { role: "requester", depts: [] };
    await checkMatrix({
      roles,
      tickets: [
        { t: tA, requesterId: people.reqA.id, queueDept: deptB, assigneeId: people.exA.id },
        { t: tB, requesterId: people.reqB.id, queueDept: deptB, assigneeId: null },
      ],
    });
  });

  it("closes a deactivated user's sockets at once, before any later event", async () => {
    const op = people.opB;
    const ws = await connect(op);
    await ok("POST", `/api/users/${op.id}/deactivate/`, admin);
    await ok("POST", "/api/messages/", people.reqB, { ticket_id: tB.id, text: "после деактивации" });
    const closed = await Promise.race([ws.closed, new Promise<null>((r) => setTimeout(() => r(null), 2000))]);
    expect(closed?.code).toBe(4403);
    expect(JSON.stringify(ws.messages)).not.toContain("после деактивации");
    expect(
      ws.messages.some((m) => m.type === "event" && m.event_type === "message" && m.ticket_id === tB.id),
    ).toBe(false);
  });

  it("closes a socket opened with an API token when the token is replaced", async () => {
    const u = await s.createUser({ role: "operator", departmentIds: [deptA] });
    const tokenOf = async () =>
      (
        await s.inject({
          method: "POST",
          url: "/api/api-token-auth/",
          payload: { email: u.email, password: u.password },
        })
      ).json().token as string;
    const first = await tokenOf();
    const ws = await openSocket(wsUrl(address), { authorization: `Token ${first}` });
    sockets.push(ws);
    await tokenOf();
    const closed = await Promise.race([ws.closed, new Promise<null>((r) => setTimeout(() => r(null), 2000))]);
    expect(closed?.code).toBe(4401);
  });
});
