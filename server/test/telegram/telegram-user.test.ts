import { and, asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChannelRuntime } from "../../src/channels/channels.runtime.js";
import { createTelegramUserDriver } from "../../src/channels/telegram-user/telegram-user.driver.js";
import {
  attachments,
  channelAccounts,
  contactIdentities,
  ticketMessages,
  tickets,
} from "../../src/platform/db/schema/index.js";
import { postStaffReply, startTestServer, type TTestServer } from "../helpers.js";
import { waitFor } from "../wait.js";
import { createFakeTelegramUser, type TFakeTelegramUser } from "./fake-user-client.js";
import { startTestRuntime } from "./runtime.js";

/**
 * Personal Telegram accounts through `/api/accounts/`: the log-in (code, resend, two-step
 * password, Telegram's refusals), then private messages into requests and staff replies out,
 * and a session Telegram ends. The MTProto side is the port's fake (fake-user-client.ts).
 */

const API_HASH = "0123456789abcdef0123456789abcdef";
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1]),
  Buffer.alloc(100, 3),
  Buffer.from([0xff, 0xd9]),
]);

/** Two accounts on the fake Telegram: one plain, one with two-step verification. */
let plain: TFakeTelegramUser;
let guarded: TFakeTelegramUser;
let s: TTestServer;
let runtime: ChannelRuntime;
let admin: Record<string, string>;
let operator: Record<string, string>;

beforeAll(async () => {
  plain = createFakeTelegramUser({
    phone: "+447700900123",
    code: "12345",
    deliveries: ["app", "sms", "call"],
  });
  guarded = createFakeTelegramUser({
    phone: "+447700900999",
    code: "55555",
    password: "correct horse",
    hint: "the horse",
    me: { id: 2000, firstName: "Sales", lastName: "Desk", username: null, phone: "447700900999" },
  });
  // Each account's clients come from its own fake Telegram, chosen by the api_id it was added with.
  s = await startTestServer({
    drivers: [
      createTelegramUserDriver({
        loadClientFactory: async () => (options) => {
          const routed = routeByApiId.get(options.apiId) ?? plain;
          return routed.createClient(options);
        },
      }),
    ],
  });
  admin = (await s.actor("admin")).headers;
  operator = (await s.actor("operator", [1])).headers;
  runtime = startTestRuntime(s, "worker-user");
});
afterAll(async () => {
  await runtime?.stop();
  await s?.close();
});

/** The fake Telegram an account's client talks to, by the api_id it was created with. */
const routeByApiId = new Map<number, TFakeTelegramUser>();

const call = (method: "GET" | "POST", url: string, payload?: object, headers = admin) =>
  s.inject({ method, url, headers, ...(payload ? { payload } : {}) });

async function addAccount(phone: string, apiId: number, fake: TFakeTelegramUser) {
  routeByApiId.set(apiId, fake);
  const res = await call("POST", "/api/accounts/", {
    name: `Account ${phone}`,
    account_type: "personal",
    phone_number: phone,
    api_id: apiId,
    api_hash: API_HASH,
  });
  expect(res.statusCode, res.body).toBe(201);
  expect(res.body).not.toContain(API_HASH);
  return res.json();
}

describe("telegram personal accounts: logging in", () => {
  let plainId: number;

  it("adds an account not logged in yet, refusing bad input and the same phone twice", async () => {
    const account = await addAccount("+44 7700 900123", 1111, plain);
    expect(account).toMatchObject({
      account_type: "personal",
      state: "created",
      phone_number: "+447700900123",
      bot_username: null,
      telegram_user: null,
      login: null,
    });
    plainId = account.id;
    const twice = await call("POST", "/api/accounts/", {
      name: "Again",
      account_type: "personal",
      phone_number: "+447700900123",
      api_id: 1111,
      api_hash: API_HASH,
    });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.code).toBe("telegram.account_exists");
    for (const bad of [
      { phone_number: "12", api_id: 1, api_hash: API_HASH },
      { phone_number: "+447700900555", api_id: 0, api_hash: API_HASH },
      { phone_number: "+447700900555", api_id: 5, api_hash: "short" },
    ]) {
      const res = await call("POST", "/api/accounts/", { name: "Bad", account_type: "personal", ...bad });
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
    }
    const rows = await s.ctx.db
      .select()
      .from(channelAccounts)
      .where(eq(channelAccounts.kind, "telegram_user"));
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows[0]!.config)).not.toContain(API_HASH);
    // Only admins.
    expect(
      (await call("POST", `/api/accounts/${plainId}/authenticate/`, undefined, operator)).statusCode,
    ).toBe(403);
  });

  it("refuses a code before the log-in started, and a wrong one; sends it again another way", async () => {
    const early = await call("POST", `/api/accounts/${plainId}/verify_otp/`, { otp_code: "12345" });
    expect(early.statusCode).toBe(409);
    expect(early.json().error.code).toBe("telegram.login_not_started");

    const started = await call("POST", `/api/accounts/${plainId}/authenticate/`);
    expect(started.statusCode, started.body).toBe(200);
    expect(started.json()).toMatchObject({
      state: "authenticating",
      login: { stage: "code", code_type: "app", next_type: "sms", code_length: 5 },
    });
    expect(started.json().login.can_resend_at).not.toBeNull();

    const resent = await call("POST", `/api/accounts/${plainId}/resend_code/`);
    expect(resent.json().login).toMatchObject({ code_type: "sms", next_type: "call" });

    const wrong = await call("POST", `/api/accounts/${plainId}/verify_otp/`, { otp_code: "99999" });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().error.code).toBe("telegram.phone_code_invalid");
    expect(
      (await call("POST", `/api/accounts/${plainId}/verify_otp/`, { otp_code: "12a45" })).statusCode,
    ).toBe(400);
    // The same client goes on: the right code still works after a wrong one.
    const done = await call("POST", `/api/accounts/${plainId}/verify_otp/`, { otp_code: "12345" });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ login: null, telegram_user: { id: 1000, username: "acme_support" } });
    expect(plain.clients.filter((c) => c.options.session === undefined)).toHaveLength(1);

    const [row] = await s.ctx.db.select().from(channelAccounts).where(eq(channelAccounts.id, plainId));
    const config = row!.config as { session?: string; auth_state: string };
    expect(config.auth_state).toBe("authorized");
    expect(config.session).toBeTruthy();
    // Sealed: the fake's session string is not in the row.
    expect(JSON.stringify(row!.config)).not.toContain([...plain.sessions][0]!);
    await waitFor(
      async () => (await call("GET", `/api/accounts/${plainId}/`)).json(),
      (a) => a.state === "active",
    );
    // The receiver connects with the new session (a moment after the runtime says it runs).
    await waitFor(
      async () => plain.running().length,
      (n) => n === 1,
    );
  });

  it("asks for the two-step password when the account has one, and shows Telegram's waits", async () => {
    const account = await addAccount("+447700900999", 2222, guarded);
    guarded.failNext("sendCode", "flood_wait", { seconds: 42 });
    const flood = await call("POST", `/api/accounts/${account.id}/authenticate/`);
    expect(flood.statusCode).toBe(429);
    expect(flood.json().error).toMatchObject({ code: "telegram.flood_wait", details: { retry_after: 42 } });

    await call("POST", `/api/accounts/${account.id}/authenticate/`);
    const code = await call("POST", `/api/accounts/${account.id}/verify_otp/`, { otp_code: "55555" });
    expect(code.json()).toMatchObject({
      state: "authenticating",
      login: { stage: "password", password_hint: "the horse" },
    });
    const wrong = await call("POST", `/api/accounts/${account.id}/verify_password/`, { password: "wrong" });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().error.code).toBe("telegram.password_invalid");
    expect(wrong.body).not.toContain("wrong");
    const done = await call("POST", `/api/accounts/${account.id}/verify_password/`, {
      password: "correct horse",
    });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json().telegram_user).toEqual({ id: 2000, name: "Sales Desk", username: null });
    expect(
      JSON.stringify((await s.ctx.db.select().from(channelAccounts)).map((r) => r.config)),
    ).not.toContain("correct horse");
  });
});

describe("telegram personal accounts: conversations", () => {
  const accountId = async () =>
    (
      await s.ctx.db
        .select()
        .from(channelAccounts)
        .where(eq(channelAccounts.kind, "telegram_user"))
        .orderBy(asc(channelAccounts.id))
    )[0]!.id;

  it("turns a private message (and its photo) into a request of the Telegram contact, once", async () => {
    await waitFor(
      async () => plain.running().length,
      (n) => n === 1,
    );
    const photo = plain.addFile(JPEG, { kind: "photo", mime: "image/jpeg" });
    const m = await plain.emit({
      text: "Hello from my phone\nThe app crashes",
      media: [photo],
      sender: { id: 4242, firstName: "Pavel" },
    });
    const [identity] = await waitFor(
      () =>
        s.ctx.db
          .select()
          .from(contactIdentities)
          .where(and(eq(contactIdentities.channel, "telegram"), eq(contactIdentities.externalId, "4242"))),
      (rows) => rows.length === 1,
    );
    const [ticket] = await waitFor(
      () => s.ctx.db.select().from(tickets).where(eq(tickets.requesterId, identity!.userId)),
      (rows) => rows.length === 1,
    );
    expect(ticket).toMatchObject({ title: "Hello from my phone", source: "telegram" });
    const files = await s.ctx.db.select().from(attachments).where(eq(attachments.ticketId, ticket!.id));
    expect(files).toHaveLength(1);

    // The same message again (a catch-up after a restart) makes nothing.
    await plain.emit({ ...m, media: [] });
    await plain.emit({ text: "And the login screen is blank", sender: { id: 4242, firstName: "Pavel" } });
    // In a chat the opening message is a message too (the inbox lists and reads by messages).
    const messages = await waitFor(
      () =>
        s.ctx.db
          .select()
          .from(ticketMessages)
          .where(eq(ticketMessages.ticketId, ticket!.id))
          .orderBy(asc(ticketMessages.id)),
      (rows) => rows.length === 2,
    );
    expect(messages.map((x) => x.body)).toEqual([
      "Hello from my phone\nThe app crashes",
      "And the login screen is blank",
    ]);
    // It is a chat of the omnichannel inbox.
    const chats = (await call("GET", "/api/chats/")).json().results;
    expect(chats).toContainEqual(
      expect.objectContaining({ external_id: "4242", title: "Pavel Petrova", account_id: await accountId() }),
    );
    expect(
      await s.ctx.db.select().from(tickets).where(eq(tickets.requesterId, identity!.userId)),
    ).toHaveLength(1);

    // A staff reply goes out through the account's client, to the chat.
    await postStaffReply(s, operator, ticket!.id, "Please reinstall the app");
    const sent = await waitFor(
      async () => plain.sent.filter((x) => x.chatId === 4242),
      (list) => list.length === 1,
    );
    expect(sent[0]).toMatchObject({ kind: "text", options: { chatRef: expect.any(String) } });
    expect((sent[0] as { text: string }).text).toMatch(/:\nPlease reinstall the app$/);
    expect(await accountId()).toBeGreaterThan(0);
  });

  it("moves the account to 'log in again' when Telegram ends the session", async () => {
    const id = await accountId();
    plain.endSession("session_revoked");
    const account = await waitFor(
      async () => (await call("GET", `/api/accounts/${id}/`)).json(),
      (a) => a.state === "error",
    );
    expect(account.last_error).toMatch(/Log in again/);
    expect(plain.running()).toHaveLength(0);
    // A reply now fails visibly (and is retried), instead of vanishing.
    const [ticket] = await s.ctx.db.select().from(tickets).where(eq(tickets.source, "telegram"));
    const messageId = await postStaffReply(s, operator, ticket!.id, "Are you there?");
    const delivery = await waitFor(
      async () =>
        (await s.inject({ method: "GET", url: `/api/messages/${messageId}/`, headers: operator })).json()
          .delivery,
      (d) => d?.state === "retrying",
    );
    expect(delivery.last_error).toMatch(/not connected/);
  });
});
