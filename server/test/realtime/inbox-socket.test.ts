import { REALTIME_LIMITS } from "@helpdesk/contracts";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  channelAccounts,
  chats,
  departments,
  inboxAgents,
  queues,
} from "../../src/platform/db/schema/index.js";
import { waitForProcessorsIdle } from "../../src/platform/processors.js";
import { createTestChatDriver } from "../conversations/test-chat/test-chat.driver.js";
import { startTestServer, type TTestServer } from "../helpers.js";
import { openSocket, subscribe, type TTestSocket, type TWsMessage, wsUrl } from "./ws-client.js";

/** A chat channel: every conversation on one of its accounts is an inbox chat. */
const chatChannel = createTestChatDriver();

type TActorHandle = Awaited<ReturnType<TTestServer["actor"]>>;
type TChatJson = { id: number; assignee_id: number | null; unread_count: number; title: string };
type TMessageJson = { id: number; text: string; direction: string; chat_id: number };

let s: TTestServer;
let address: string;
const sockets: TTestSocket[] = [];
let updateId = 0;

let accountId: number;
let admin: TActorHandle;
let ann: TActorHandle;
let bob: TActorHandle;
let dispatcher: TActorHandle;

async function connect(who: TActorHandle): Promise<TTestSocket> {
  const t = await openSocket(wsUrl(address), who.headers);
  sockets.push(t);
  return t;
}

/** Connects and subscribes to `chats`; the initial list has been received when this resolves. */
async function connectToChats(who: TActorHandle, since?: number): Promise<TTestSocket> {
  const t = await connect(who);
  await subscribe(t, ["chats"], since);
  return t;
}

/** A contact writes in the chat `externalId` of the account. */
async function write(externalId: string, text: string) {
  updateId += 1;
  const res = await s.inject({
    method: "POST",
    url: "/api/channels/test-chat/webhook/",
    payload: {
      update_id: updateId,
      chat_id: externalId,
      from_name: `Visitor ${externalId}`,
      text,
      account_id: accountId,
    },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { status: string; ticket_id: number };
}

const chatRow = async (externalId: string) => {
  const [row] = await s.ctx.db
    .select()
    .from(chats)
    .where(and(eq(chats.accountId, accountId), eq(chats.externalId, externalId)));
  return row!;
};

const isNewMessage = (chatId: number, text?: string) => (m: TWsMessage) =>
  m.type === "new_message" &&
  m.chat_id === chatId &&
  (text === undefined || (m.message as TMessageJson).text === text);
const isChatUpdated =
  (chatId: number, where: (c: TChatJson) => boolean = () => true) =>
  (m: TWsMessage) =>
    m.type === "chat_updated" && (m.chat as TChatJson).id === chatId && where(m.chat as TChatJson);
/** Anything on the socket that tells of this chat (an id, its title). */
const mentions = (chatId: number, title: string) => (m: TWsMessage) =>
  (m.chat_id === chatId ||
    (m.chat as TChatJson | undefined)?.id === chatId ||
    JSON.stringify(m).includes(title)) &&
  m.type !== "chat_removed";

beforeAll(async () => {
  s = await startTestServer({ drivers: [chatChannel.driver] });
  address = await s.app.listen({ port: 0, host: "127.0.0.1" });
  const [dep] = await s.ctx.db.insert(departments).values({ nameRu: "chat", nameEn: "chat" }).returning();
  const [queue] = await s.ctx.db
    .insert(queues)
    .values({ slug: "q-chat", nameRu: "chat", nameEn: "chat", departmentId: dep!.id })
    .returning();
  const [account] = await s.ctx.db
    .insert(channelAccounts)
    .values({ kind: "test-chat", name: "chat", queueId: queue!.id })
    .returning();
  accountId = account!.id;
  s.ctx.catalog.invalidate();
  admin = await s.actor("admin");
  ann = await s.actor("executor", [dep!.id]);
  bob = await s.actor("executor", [dep!.id]);
  dispatcher = await s.actor("operator", [dep!.id]);
  for (const id of [ann.id, bob.id])
    await s.ctx.db.insert(inboxAgents).values({ userId: id, maxActiveChats: 100 });
});
afterAll(async () => {
  await Promise.all(sockets.map((t) => t.close()));
  await s?.close();
});

describe("#realtime chats: initial_chats", () => {
  it("sends the caller's chats in chunks, then subscribed; an executor gets only their own", async () => {
    // More chats than one frame holds, waiting for a dispatcher (nobody's).
    const contact = await s.createUser({ role: "requester" });
    const count = REALTIME_LIMITS.initialChatsChunk + 30;
    const inserted = await s.ctx.db
      .insert(chats)
      .values(
        Array.from({ length: count }, (_, i) => ({
          accountId,
          channel: "test-chat",
          externalId: `bulk-${i}`,
          contactUserId: contact.id,
          title: `Bulk ${i}`,
        })),
      )
      .returning({ id: chats.id });

    const adminWs = await connect(admin);
    const ack = await subscribe(adminWs, ["chats"]);
    expect(ack).toMatchObject({ topics: ["chats"], caught_up_to: null });
    const frames = adminWs.ofType("initial_chats");
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect((frames[0]!.chats as TChatJson[]).length).toBe(REALTIME_LIMITS.initialChatsChunk);
    expect(frames.map((f) => f.done)).toEqual([...frames.slice(1).map(() => false), true]);
    const ids = frames.flatMap((f) => (f.chats as TChatJson[]).map((c) => c.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(inserted.map((r) => r.id)));
    // The same shape as GET /api/chats/.
    const rest = await s.inject({ method: "GET", url: "/api/chats/?limit=1", headers: admin.headers });
    expect((frames[0]!.chats as TChatJson[])[0]).toEqual(rest.json().results[0]);
    // `initial_chats` comes before `subscribed`.
    expect(adminWs.messages.indexOf(frames.at(-1)!)).toBeLessThan(adminWs.messages.indexOf(ack));

    const annWs = await connectToChats(ann);
    expect(annWs.ofType("initial_chats")).toEqual([{ type: "initial_chats", chats: [], done: true }]);
  });
});

describe("#realtime chats: live frames", () => {
  let chatId: number;
  let owner: TActorHandle;
  let other: TActorHandle;

  it("sends new_message to the assignee and the admin, never to another executor", async () => {
    const [annWs, bobWs, adminWs] = await Promise.all([
      connectToChats(ann),
      connectToChats(bob),
      connectToChats(admin),
    ]);
    const lastSeen = annWs.ofType("hello")[0]!.last_event_id as number;
    await write("live-1", "Hello, where is my order?");
    const row = await chatRow("live-1");
    chatId = row.id;
    owner = row.assigneeId === ann.id ? ann : bob;
    other = owner === ann ? bob : ann;
    const ownerWs = owner === ann ? annWs : bobWs;
    const otherWs = owner === ann ? bobWs : annWs;
    expect(row.assigneeId).toBe(owner.id);

    // The opening message (written with the ticket, told by its `created` event).
    const opening = await ownerWs.next(isNewMessage(chatId, "Hello, where is my order?"));
    expect(opening).toMatchObject({ id: expect.any(Number), message: { direction: "in", chat_id: chatId } });
    expect(opening.id as number).toBeGreaterThan(lastSeen);
    await ownerWs.next(isChatUpdated(chatId, (c) => c.assignee_id === owner.id));
    await adminWs.next(isNewMessage(chatId, "Hello, where is my order?"));
    await adminWs.next(isChatUpdated(chatId));

    await write("live-1", "Any news?");
    const inbound = await ownerWs.next(isNewMessage(chatId, "Any news?"));
    expect(inbound.id as number).toBeGreaterThan(opening.id as number);
    await adminWs.next(isNewMessage(chatId, "Any news?"));

    const reply = await s.inject({
      method: "POST",
      url: `/api/messages/${(inbound.message as TMessageJson).id}/reply/`,
      headers: owner.headers,
      payload: { text: "It ships today" },
    });
    expect(reply.statusCode, reply.body).toBe(201);
    const out = await ownerWs.next(isNewMessage(chatId, "It ships today"));
    expect(out.message).toMatchObject({ direction: "out", author: { id: owner.id } });
    await adminWs.next(isNewMessage(chatId, "It ships today"));

    // Not a frame, not the title, not the last message.
    await otherWs.expectNone(mentions(chatId, "Visitor live-1"));
    await otherWs.expectNone((m) => JSON.stringify(m).includes("ships today"), 0);
  });

  it("moves the chat on assignment: the new executor starts receiving, the previous one stops", async () => {
    const [ownerWs, otherWs, dispatcherWs] = await Promise.all([
      connectToChats(owner),
      connectToChats(other),
      connectToChats(dispatcher),
    ]);
    expect(
      dispatcherWs
        .ofType("initial_chats")
        .flatMap((f) => f.chats as TChatJson[])
        .map((c) => c.id),
    ).toContain(chatId);
    const res = await s.inject({
      method: "POST",
      url: `/api/chats/${chatId}/assign/`,
      headers: dispatcher.headers,
      payload: { user_id: other.id },
    });
    expect(res.statusCode, res.body).toBe(200);

    const updated = await otherWs.next(isChatUpdated(chatId, (c) => c.assignee_id === other.id));
    expect(updated.id).toEqual(expect.any(Number));
    expect((updated.chat as TChatJson).unread_count).toBeGreaterThan(0);
    await dispatcherWs.next(isChatUpdated(chatId, (c) => c.assignee_id === other.id));
    // The previous agent learns only that it left them.
    const removed = await ownerWs.next((m) => m.type === "chat_removed");
    expect(removed).toEqual({ type: "chat_removed", id: updated.id, chat_id: chatId });

    await write("live-1", "Hello again");
    await otherWs.next(isNewMessage(chatId, "Hello again"));
    await dispatcherWs.next(isNewMessage(chatId, "Hello again"));
    // Its list had the chat when it connected; nothing about it since the move.
    const afterMove = ownerWs.messages.slice(ownerWs.messages.indexOf(removed) + 1);
    await ownerWs.expectNone(isNewMessage(chatId));
    expect(afterMove.filter(mentions(chatId, "Visitor live-1"))).toEqual([]);
    [owner, other] = [other, owner];
  });

  it("answers get_chat_messages and mark_as_read for a visible chat only, and tells the user's other tabs", async () => {
    const [tabA, tabB, otherWs] = await Promise.all([
      connectToChats(owner),
      connectToChats(owner),
      connectToChats(other),
    ]);
    tabA.send({ type: "get_chat_messages", chat_id: chatId, limit: 2 });
    const first = await tabA.next((m) => m.type === "chat_messages");
    const page = first.messages as TMessageJson[];
    expect(page.map((m) => m.text)).toEqual(["Hello again", "It ships today"]);
    expect(first.next).toBe(page[1]!.id);
    tabA.send({ type: "get_chat_messages", chat_id: chatId, before: first.next });
    const second = await tabA.next((m) => m.type === "chat_messages" && m !== first);
    expect((second.messages as TMessageJson[]).map((m) => m.text)).toEqual([
      "Any news?",
      "Hello, where is my order?",
    ]);
    expect(second.next).toBeNull();
    // The same messages as GET /api/messages/by_chat/.
    const rest = await s.inject({
      method: "GET",
      url: `/api/messages/by_chat/?chat_id=${chatId}&limit=2`,
      headers: owner.headers,
    });
    expect(first.messages).toEqual(rest.json().results);

    // A chat the user may not see and one that does not exist: the same refusal.
    otherWs.send({ type: "get_chat_messages", chat_id: chatId });
    otherWs.send({ type: "get_chat_messages", chat_id: 99_999_999 });
    otherWs.send({ type: "mark_as_read", chat_id: chatId });
    await otherWs.next((m) => m.type === "error" && otherWs.ofType("error").length === 3);
    expect(otherWs.ofType("error").map((m) => m.code)).toEqual([
      "realtime.chat_not_found",
      "realtime.chat_not_found",
      "realtime.chat_not_found",
    ]);
    expect(otherWs.ofType("chat_messages")).toEqual([]);

    tabA.send({ type: "mark_as_read", chat_id: chatId, message_id: 99_999_999 });
    await tabA.next((m) => m.type === "error" && m.code === "realtime.message_not_in_chat");
    tabA.send({ type: "mark_as_read", chat_id: chatId });
    const answer = await tabA.next(isChatUpdated(chatId, (c) => c.unread_count === 0));
    expect(answer.id).toBeNull();
    await tabB.next(isChatUpdated(chatId, (c) => c.unread_count === 0));
    const view = await s.inject({ method: "GET", url: `/api/chats/${chatId}/`, headers: owner.headers });
    expect(view.json().unread_count).toBe(0);
    await otherWs.expectNone(isChatUpdated(chatId));
  });

  it("answers malformed frames with error frames and stays usable", async () => {
    const t = await connectToChats(owner);
    t.send({ type: "get_chat_messages", chat_id: "x" });
    t.send({ type: "get_chat_messages", chat_id: chatId, limit: REALTIME_LIMITS.chatMessagesMax + 1 });
    t.send({ type: "mark_as_read", chat_id: chatId, extra: true });
    t.send({ type: "subscribe", topics: ["chat"] });
    t.send({ type: "ping" });
    await t.next((m) => m.type === "pong");
    expect(t.ofType("error").map((m) => m.code)).toEqual([
      "realtime.invalid_message",
      "realtime.invalid_message",
      "realtime.invalid_message",
      "realtime.invalid_message",
    ]);
    t.send({ type: "get_chat_messages", chat_id: chatId, limit: 1 });
    await t.next((m) => m.type === "chat_messages");
  });

  it("replays a missed new_message on reconnect with since, to the assignee only", async () => {
    const probe = await connect(owner);
    const since = probe.ofType("hello")[0]!.last_event_id as number;
    await probe.close();
    await write("live-1", "While you were away");
    await waitForProcessorsIdle();

    const back = await connectToChats(owner, since);
    const missed = back.ofType("new_message").filter(isNewMessage(chatId, "While you were away"));
    expect(missed).toHaveLength(1);
    expect(missed[0]!.id as number).toBeGreaterThan(since);
    const ack = back.ofType("subscribed")[0]!;
    expect(ack.caught_up_to as number).toBeGreaterThanOrEqual(missed[0]!.id as number);
    // The list first, then the replay, then the acknowledgement.
    const order = back.messages.map((m) => m.type).filter((t) => t !== "hello");
    expect(order.indexOf("initial_chats")).toBeLessThan(order.indexOf("new_message"));
    expect(order.indexOf("new_message")).toBeLessThan(order.indexOf("subscribed"));

    const otherBack = await connectToChats(other, since);
    expect(otherBack.messages.filter(mentions(chatId, "Visitor live-1"))).toEqual([]);
    const adminBack = await connectToChats(admin, since);
    expect(adminBack.ofType("new_message").filter(isNewMessage(chatId, "While you were away"))).toHaveLength(
      1,
    );
  });
  it("tells of a closed chat's status, and moves it between agents without a ticket event", async () => {
    const [ownerWs, otherWs] = await Promise.all([connectToChats(owner), connectToChats(other)]);
    const row = await chatRow("live-1");
    const close = await s.inject({
      method: "PATCH",
      url: `/api/tickets/${row.ticketId}/`,
      headers: admin.headers,
      payload: { status: "closed" },
    });
    expect(close.statusCode, close.body).toBe(200);
    const closed = await ownerWs.next(
      isChatUpdated(chatId, (c) => (c as { ticket_status?: string }).ticket_status === "closed"),
    );
    expect(closed.id).toEqual(expect.any(Number));

    // A closed ticket keeps its assignee: only the chat changes hands.
    const res = await s.inject({
      method: "POST",
      url: `/api/chats/${chatId}/assign/`,
      headers: dispatcher.headers,
      payload: { user_id: other.id },
    });
    expect(res.statusCode, res.body).toBe(200);
    const moved = await otherWs.next(isChatUpdated(chatId, (c) => c.assignee_id === other.id));
    expect(moved.id).toBeNull();
    expect(await ownerWs.next((m) => m.type === "chat_removed")).toEqual({
      type: "chat_removed",
      id: null,
      chat_id: chatId,
    });
  });
});
