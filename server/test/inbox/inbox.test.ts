import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  channelAccounts,
  chats,
  departments,
  inboxAgents,
  queues,
  sessions,
  ticketMessages,
  tickets,
} from "../../src/platform/db/schema/index.js";
import { waitForProcessorsIdle } from "../../src/platform/processors.js";
import { createTestChatDriver } from "../conversations/test-chat/test-chat.driver.js";
import { startTestServer, type TTestServer } from "../helpers.js";
import { waitFor } from "../wait.js";

/** The second channel, with accounts: every conversation on it is an inbox chat. */
const chat = createTestChatDriver();

type TActorHandle = Awaited<ReturnType<TTestServer["actor"]>>;
type THeaders = Record<string, string>;

let s: TTestServer;
let admin: THeaders;
let updateId = 0;

/** A department with one queue and one test-chat account on it. */
async function makeDepartment(name: string) {
  const [dep] = await s.ctx.db.insert(departments).values({ nameRu: name, nameEn: name }).returning();
  const [queue] = await s.ctx.db
    .insert(queues)
    .values({ slug: `q-${name}`, nameRu: name, nameEn: name, departmentId: dep!.id })
    .returning();
  const [account] = await s.ctx.db
    .insert(channelAccounts)
    .values({ kind: "test-chat", name: `chat ${name}`, queueId: queue!.id })
    .returning();
  s.ctx.catalog.invalidate();
  return { departmentId: dep!.id, queueId: queue!.id, accountId: account!.id };
}

/** A contact writes in the chat `chatId` of the account. */
async function write(accountId: number, chatId: string, text: string, name = `Visitor ${chatId}`) {
  updateId += 1;
  const res = await s.inject({
    method: "POST",
    url: "/api/channels/test-chat/webhook/",
    payload: { update_id: updateId, chat_id: chatId, from_name: name, text, account_id: accountId },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { status: string; ticket_id: number };
}

const chatRow = async (accountId: number, externalId: string) => {
  const [row] = await s.ctx.db
    .select()
    .from(chats)
    .where(and(eq(chats.accountId, accountId), eq(chats.externalId, externalId)));
  return row!;
};

const get = (url: string, headers: THeaders) => s.inject({ method: "GET", url, headers });
const post = (url: string, headers: THeaders, payload?: Record<string, unknown>) =>
  s.inject({ method: "POST", url, headers, payload: payload ?? {} });
const listIds = async (headers: THeaders, query = "") => {
  const res = await get(`/api/chats/${query}`, headers);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().results as { id: number }[]).map((c) => c.id);
};
const setLimit = (userId: number, max: number) =>
  s.ctx.db
    .insert(inboxAgents)
    .values({ userId, maxActiveChats: max })
    .onConflictDoUpdate({ target: inboxAgents.userId, set: { maxActiveChats: max } });
const closeTicket = async (ticketId: number) => {
  const res = await s.inject({
    method: "PATCH",
    url: `/api/tickets/${ticketId}/`,
    headers: admin,
    payload: { status: "closed" },
  });
  expect(res.statusCode, res.body).toBe(200);
};

let sales: Awaited<ReturnType<typeof makeDepartment>>;
let ann: TActorHandle;
let bob: TActorHandle;
let salesOperator: TActorHandle;
let otherOperator: TActorHandle;

beforeAll(async () => {
  s = await startTestServer({ drivers: [chat.driver] });
  admin = (await s.actor("admin")).headers;
  sales = await makeDepartment("sales");
  // Two agents of the department, signed in; Ann was created first (ties go to her first).
  ann = await s.actor("executor", [sales.departmentId]);
  bob = await s.actor("executor", [sales.departmentId]);
  salesOperator = await s.actor("operator", [sales.departmentId]);
  const other = await makeDepartment("other");
  otherOperator = await s.actor("operator", [other.departmentId]);
  await setLimit(ann.id, 2);
  await setLimit(bob.id, 2);
});
afterAll(async () => {
  await s?.close();
});

describe("#inbox assignment", () => {
  it("makes a chat of a message and gives it to the least loaded agent, round robin among equals, never above the limit", async () => {
    const first = await write(sales.accountId, "c1", "Hello, where is my order?", "Olga");
    expect(first.status).toBe("ticket");
    const c1 = await chatRow(sales.accountId, "c1");
    expect(c1).toMatchObject({
      channel: "test-chat",
      title: "Olga",
      ticketId: first.ticket_id,
      assigneeId: ann.id,
    });
    // The chat's ticket follows it.
    const [t1] = await s.ctx.db.select().from(tickets).where(eq(tickets.id, first.ticket_id));
    expect(t1!.assigneeId).toBe(ann.id);

    await write(sales.accountId, "c2", "Hi");
    expect((await chatRow(sales.accountId, "c2")).assigneeId).toBe(bob.id); // least loaded
    await write(sales.accountId, "c3", "Hi");
    // Both have one: Ann was given hers longer ago.
    expect((await chatRow(sales.accountId, "c3")).assigneeId).toBe(ann.id);
    await write(sales.accountId, "c4", "Hi");
    expect((await chatRow(sales.accountId, "c4")).assigneeId).toBe(bob.id);
    // Both at their limit of 2: the next one waits for a dispatcher.
    await write(sales.accountId, "c5", "Anyone?");
    expect((await chatRow(sales.accountId, "c5")).assigneeId).toBeNull();
    // The chat's next message continues its ticket and keeps its agent.
    const again = await write(sales.accountId, "c1", "Any news?", "Olga");
    expect(again).toEqual({ status: "reply", ticket_id: first.ticket_id });
    expect((await chatRow(sales.accountId, "c1")).assigneeId).toBe(ann.id);
  });

  it("leaves a chat unassigned when no agent is available (none signed in)", async () => {
    const quiet = await makeDepartment("quiet");
    const absent = await s.createUser({ role: "executor", departmentIds: [quiet.departmentId] });
    await write(quiet.accountId, "q1", "Hello?");
    expect((await chatRow(quiet.accountId, "q1")).assigneeId).toBeNull();
    // Signed in, then signed out: still not available.
    const headers = await s.login(absent.email, absent.password);
    await s.ctx.db.update(sessions).set({ revokedAt: new Date() }).where(eq(sessions.userId, absent.id));
    await write(quiet.accountId, "q2", "Hello?");
    expect((await chatRow(quiet.accountId, "q2")).assigneeId).toBeNull();
    expect(headers.authorization).toBeTruthy();
  });

  it("does not let two chats arriving at once both take an agent's last slot", async () => {
    const pair = await makeDepartment("pair");
    const solo = await s.actor("executor", [pair.departmentId]);
    await setLimit(solo.id, 1);
    await Promise.all([write(pair.accountId, "p1", "one"), write(pair.accountId, "p2", "two")]);
    const assigned = [await chatRow(pair.accountId, "p1"), await chatRow(pair.accountId, "p2")].map(
      (c) => c.assigneeId,
    );
    expect(assigned.filter((id) => id === solo.id)).toHaveLength(1);
    expect(assigned.filter((id) => id === null)).toHaveLength(1);
  });

  it("gives the longest waiting chat to the agent whose chat's ticket was closed", async () => {
    const waiting = await chatRow(sales.accountId, "c5");
    expect(waiting.assigneeId).toBeNull();
    const bobs = await chatRow(sales.accountId, "c2");
    await closeTicket(bobs.ticketId!);
    await waitForProcessorsIdle();
    const filled = await waitFor(
      () => chatRow(sales.accountId, "c5"),
      (c) => c.assigneeId !== null,
      5000,
    );
    expect(filled.assigneeId).toBe(bob.id);
    // The closed chat stays Bob's (its history), but no longer counts: the next message starts
    // a new ticket, and Bob (at his limit again) cannot take it: it goes to a dispatcher.
    const next = await write(sales.accountId, "c2", "One more thing");
    expect(next.status).toBe("ticket");
    const reopened = await chatRow(sales.accountId, "c2");
    expect(reopened.ticketId).toBe(next.ticket_id);
    expect(reopened.assigneeId).toBeNull();
  });
});

describe("#inbox dispatch", () => {
  it("lets a dispatcher of the department assign an eligible agent; executors get 403, others 422", async () => {
    const c2 = await chatRow(sales.accountId, "c2");
    const res = await post(`/api/chats/${c2.id}/assign/`, salesOperator.headers, { user_id: ann.id });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: c2.id, assignee_id: ann.id, assignee: { id: ann.id } });
    const [t] = await s.ctx.db.select().from(tickets).where(eq(tickets.id, c2.ticketId!));
    expect(t!.assigneeId).toBe(ann.id);

    const byExecutor = await post(`/api/chats/${c2.id}/assign/`, ann.headers, { user_id: ann.id });
    expect(byExecutor.statusCode).toBe(403);
    expect(byExecutor.json().error.code).toBe("inbox.assign_forbidden");

    const outsider = await s.createUser({ role: "executor", departmentIds: [] });
    const requester = await s.createUser({ role: "requester" });
    for (const userId of [outsider.id, requester.id, salesOperator.id, 999_999]) {
      const bad = await post(`/api/chats/${c2.id}/assign/`, salesOperator.headers, { user_id: userId });
      expect(bad.statusCode, bad.body).toBe(422);
      expect(bad.json().error.code).toBe("inbox.invalid_assignee");
    }
    expect((await chatRow(sales.accountId, "c2")).assigneeId).toBe(ann.id);

    // An operator of another department does not see the chat at all.
    const foreign = await post(`/api/chats/${c2.id}/assign/`, otherOperator.headers, { user_id: ann.id });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.code).toBe("inbox.chat_not_found");
  });
});

describe("#inbox lists and reads", () => {
  it("shows each caller their own unread count; read marks it", async () => {
    const c1 = await chatRow(sales.accountId, "c1");
    const find = async (headers: THeaders) => {
      const res = await get(`/api/chats/${c1.id}/`, headers);
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };
    const annView = await find(ann.headers);
    expect(annView).toMatchObject({
      id: c1.id,
      account_id: sales.accountId,
      external_id: "c1",
      title: "Olga",
      channel: "test-chat",
      unread_count: 2,
      assignee_id: ann.id,
      ticket_status: "open",
      last_message: { text: "Any news?", direction: "in" },
      abilities: { can_reply: true, can_assign: false },
    });
    expect((await find(salesOperator.headers)).unread_count).toBe(2);

    const read = await post(`/api/chats/${c1.id}/read/`, ann.headers);
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json().unread_count).toBe(0);
    expect((await find(ann.headers)).unread_count).toBe(0);
    expect((await find(salesOperator.headers)).unread_count).toBe(2);

    // Up to a given message: the ones after it stay unread; the mark never moves back.
    const messages = (await get(`/api/messages/by_chat/?chat_id=${c1.id}`, salesOperator.headers)).json();
    const oldest = messages.results.at(-1);
    await post(`/api/chats/${c1.id}/read/`, salesOperator.headers, { message_id: oldest.id });
    expect((await find(salesOperator.headers)).unread_count).toBe(1);
    await post(`/api/chats/${c1.id}/read/`, ann.headers, { message_id: oldest.id });
    expect((await find(ann.headers)).unread_count).toBe(0);

    await write(sales.accountId, "c1", "Hello again", "Olga");
    expect((await find(ann.headers)).unread_count).toBe(1);
    expect(await listIds(ann.headers, "?unread=true")).toContain(c1.id);
    await post(`/api/chats/${c1.id}/read/`, ann.headers);
    expect(await listIds(ann.headers, "?unread=true")).not.toContain(c1.id);
  });

  it("filters by assignee and account and pages with a cursor", async () => {
    const c5 = await chatRow(sales.accountId, "c5");
    expect(await listIds(salesOperator.headers, `?assignee=${bob.id}`)).toContain(c5.id);
    expect(await listIds(salesOperator.headers, "?assignee=none")).not.toContain(c5.id);
    const all = await listIds(admin, `?account_id=${sales.accountId}`);
    expect(all).toHaveLength(5);
    const pages: number[] = [];
    let url = `/api/chats/?account_id=${sales.accountId}&limit=2`;
    for (;;) {
      const page = (await get(url, admin)).json();
      pages.push(...page.results.map((c: { id: number }) => c.id));
      if (!page.next) break;
      url = `/api/chats/?account_id=${sales.accountId}&limit=2&cursor=${page.next}`;
    }
    expect(pages).toEqual(all);
    expect(await listIds(ann.headers, "?assignee=me")).toEqual(await listIds(ann.headers));
  });
});

describe("#inbox messages and replies", () => {
  it("lists a chat's public messages with direction and delivery state; a reply goes queued → sent", async () => {
    const c1 = await chatRow(sales.accountId, "c1");
    // An internal note on the chat's ticket is never a chat message.
    const note = await s.inject({
      method: "POST",
      url: "/api/notes/",
      headers: ann.headers,
      payload: { ticket_id: c1.ticketId, text: "VIP customer" },
    });
    expect(note.statusCode, note.body).toBe(201);

    const before = (await get(`/api/messages/by_chat/?chat_id=${c1.id}`, ann.headers)).json();
    expect(before.results.map((m: { text: string }) => m.text)).toEqual([
      "Hello again",
      "Any news?",
      "Hello, where is my order?",
    ]);
    expect(before.results[2]).toMatchObject({
      chat_id: c1.id,
      ticket_id: c1.ticketId,
      direction: "in",
      delivery_state: null,
      author: { name: "Olga", role: "requester" },
      attachments: [],
    });

    const form = new FormData();
    form.append("file", new Blob(["tracking: 123"], { type: "text/plain" }), "tracking.txt");
    const uploaded = (
      await s.inject({ method: "POST", url: "/api/upload/", headers: ann.headers, payload: form })
    ).json();
    const sent = chat.sent.length;
    const res = await post(`/api/messages/${before.results[0].id}/reply/`, ann.headers, {
      text: "It ships today",
      media_path: uploaded.url,
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      chat_id: c1.id,
      ticket_id: c1.ticketId,
      text: "It ships today",
      direction: "out",
      delivery_state: "queued",
      author: { id: ann.id, role: "executor" },
      attachments: [{ id: uploaded.id, filename: "tracking.txt" }],
    });
    const replyId = res.json().id;
    const after = await waitFor(
      async () => (await get(`/api/messages/by_chat/?chat_id=${c1.id}`, ann.headers)).json(),
      (page) => page.results[0]?.delivery_state === "sent",
    );
    expect(after.results[0]).toMatchObject({ id: replyId, direction: "out", delivery_state: "sent" });
    expect(chat.sent.slice(sent)).toMatchObject([
      { message: { id: replyId, text: "It ships today" }, binding: { externalThreadId: "c1" } },
    ]);
    // The chat shows it as its latest message.
    const view = (await get(`/api/chats/${c1.id}/`, ann.headers)).json();
    expect(view.last_message).toMatchObject({ id: replyId, direction: "out" });

    // `/api/messages/?chat_id=` is the same answer; `ticket_id` keeps its meaning.
    const same = await get(`/api/messages/?chat_id=${c1.id}`, ann.headers);
    expect(same.statusCode, same.body).toBe(200);
    expect(same.json()).toEqual(after);
    const byTicket = await get(`/api/messages/?ticket_id=${c1.ticketId}`, ann.headers);
    expect(byTicket.json().results.map((m: { id: number }) => m.id)).toContain(replyId);

    // A page at a time, older with `next`.
    const first = (await get(`/api/messages/by_chat/?chat_id=${c1.id}&limit=2`, ann.headers)).json();
    expect(first.results).toHaveLength(2);
    const rest = (
      await get(`/api/messages/by_chat/?chat_id=${c1.id}&limit=2&cursor=${first.next}`, ann.headers)
    ).json();
    expect([...first.results, ...rest.results].map((m: { id: number }) => m.id)).toEqual(
      after.results.map((m: { id: number }) => m.id),
    );
  });

  it("refuses a reply on a closed chat ticket with 409 until the contact writes again", async () => {
    const c3 = await chatRow(sales.accountId, "c3");
    const [m] = await s.ctx.db.select().from(ticketMessages).where(eq(ticketMessages.ticketId, c3.ticketId!));
    await closeTicket(c3.ticketId!);
    const res = await post(`/api/messages/${m!.id}/reply/`, ann.headers, { text: "Anything else?" });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error).toMatchObject({
      code: "inbox.ticket_closed",
      details: { ticket_id: c3.ticketId },
    });
    await waitForProcessorsIdle();
  });
});

describe("#inbox isolation", () => {
  it("keeps an executor to their own chats on every endpoint; other departments see nothing; admins all", async () => {
    const annChat = await chatRow(sales.accountId, "c1");
    const [annMessage] = await s.ctx.db
      .select()
      .from(ticketMessages)
      .where(eq(ticketMessages.ticketId, annChat.ticketId!));
    const bobList = await listIds(bob.headers);
    expect(bobList).not.toContain(annChat.id);
    const bobChats = await s.ctx.db.select().from(chats).where(eq(chats.assigneeId, bob.id));
    expect(bobList.sort()).toEqual(bobChats.map((c) => c.id).sort());
    expect(await listIds(bob.headers, `?assignee=${ann.id}`)).toEqual([]);

    const messagesBefore = (await s.ctx.db.select().from(ticketMessages)).length;
    for (const [res, status, code] of [
      [await get(`/api/chats/${annChat.id}/`, bob.headers), 404, "inbox.chat_not_found"],
      [await get(`/api/messages/by_chat/?chat_id=${annChat.id}`, bob.headers), 404, "inbox.chat_not_found"],
      [await get(`/api/messages/?chat_id=${annChat.id}`, bob.headers), 404, "inbox.chat_not_found"],
      [
        await post(`/api/messages/${annMessage!.id}/reply/`, bob.headers, { text: "hi" }),
        404,
        "messages.not_found",
      ],
      [await post(`/api/chats/${annChat.id}/read/`, bob.headers), 404, "inbox.chat_not_found"],
      [
        await post(`/api/chats/${annChat.id}/assign/`, bob.headers, { user_id: bob.id }),
        403,
        "inbox.assign_forbidden",
      ],
      [await get(`/api/chats/${annChat.id}/`, otherOperator.headers), 404, "inbox.chat_not_found"],
      [
        await post(`/api/messages/${annMessage!.id}/reply/`, otherOperator.headers, { text: "hi" }),
        404,
        "messages.not_found",
      ],
    ] as const) {
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json().error.code).toBe(code);
    }
    expect((await s.ctx.db.select().from(ticketMessages)).length).toBe(messagesBefore);
    expect((await chatRow(sales.accountId, "c1")).assigneeId).toBe(ann.id);

    expect(await listIds(otherOperator.headers)).toEqual([]);
    const requester = await s.actor("requester");
    expect(await listIds(requester.headers)).toEqual([]);
    expect((await get(`/api/chats/${annChat.id}/`, requester.headers)).statusCode).toBe(404);
    const everything = await s.ctx.db.select().from(chats);
    expect((await listIds(admin, "?limit=100")).sort()).toEqual(everything.map((c) => c.id).sort());
    expect((await get(`/api/chats/${annChat.id}/`, admin)).json().abilities).toEqual({
      can_reply: true,
      can_assign: true,
    });
  });
});

describe("#inbox bad input", () => {
  it("answers 4xx with stable codes and writes nothing", async () => {
    const c1 = await chatRow(sales.accountId, "c1");
    const [m] = await s.ctx.db.select().from(ticketMessages).where(eq(ticketMessages.ticketId, c1.ticketId!));
    const messagesBefore = (await s.ctx.db.select().from(ticketMessages)).length;
    const cases: [Promise<Awaited<ReturnType<typeof get>>>, number, string][] = [
      [get("/api/chats/abc/", admin), 400, "validation.invalid"],
      [get("/api/chats/0/", admin), 400, "validation.invalid"],
      [get("/api/chats/99999/", admin), 404, "inbox.chat_not_found"],
      [get("/api/chats/?assignee=someone", admin), 400, "validation.invalid"],
      [get("/api/chats/?cursor=nope", admin), 400, "pagination.bad_cursor"],
      [get("/api/messages/by_chat/?chat_id=x", admin), 400, "validation.invalid"],
      [get("/api/messages/by_chat/", admin), 400, "validation.invalid"],
      [get("/api/messages/by_chat/?chat_id=99999", admin), 404, "inbox.chat_not_found"],
      [post("/api/messages/abc/reply/", admin, { text: "hi" }), 400, "validation.invalid"],
      [post("/api/messages/99999999/reply/", admin, { text: "hi" }), 404, "messages.not_found"],
      [post(`/api/messages/${m!.id}/reply/`, admin, { text: "   " }), 400, "validation.invalid"],
      [post(`/api/messages/${m!.id}/reply/`, admin, { text: "hi", extra: 1 }), 400, "validation.invalid"],
      [
        post(`/api/messages/${m!.id}/reply/`, admin, { text: "hi", media_path: "../etc/passwd" }),
        400,
        "validation.invalid",
      ],
      [
        post(`/api/messages/${m!.id}/reply/`, admin, {
          text: "hi",
          media_path: "/api/attachments/00000000-0000-4000-8000-000000000000/",
        }),
        400,
        "attachments.invalid",
      ],
      [post(`/api/chats/${c1.id}/assign/`, admin, { user_id: "x" }), 400, "validation.invalid"],
      [post("/api/chats/99999/assign/", admin, { user_id: ann.id }), 404, "inbox.chat_not_found"],
      [post(`/api/chats/${c1.id}/read/`, admin, { message_id: 99999999 }), 400, "inbox.message_not_in_chat"],
      [post(`/api/chats/${c1.id}/read/`, admin, { message_id: "x" }), 400, "validation.invalid"],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      expect(res.statusCode, `${res.body}`).toBe(status);
      expect(res.json().error.code).toBe(code);
    }
    expect((await s.ctx.db.select().from(ticketMessages)).length).toBe(messagesBefore);
    expect(await s.ctx.db.select().from(chats).where(eq(chats.id, 99999))).toEqual([]);
  });
});
