import { asc, eq, like } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAccountConfig, sealAccountConfig } from "../../src/channels/channel-secrets.js";
import type { ChannelRuntime } from "../../src/channels/channels.runtime.js";
import { ALLOWED_UPDATES } from "../../src/channels/telegram-bot/telegram.updates.js";
import { webhookPathOf } from "../../src/channels/telegram-bot/telegram.webhook.js";
import {
  channelAccounts,
  inboundItems,
  telegramUpdates,
  ticketMessages,
  tickets,
} from "../../src/platform/db/schema/index.js";
import { startTestServer, type TTestServer } from "../helpers.js";
import { waitFor } from "../wait.js";
import { startFakeBotApi, type TFakeBotApi } from "./fake-bot-api.js";
import { startTestRuntime } from "./runtime.js";

/** The bot TELEGRAM_BOT_TOKEN names. */
const TOKEN = `444444:${"W".repeat(35)}`;
const BOT_ID = 444444;
const PUBLIC_URL = "https://helpdesk.example.com";
const SECRET_HEADER = "x-telegram-bot-api-secret-token";

let fake: TFakeBotApi;
let s: TTestServer;
let admin: Record<string, string>;
let accountId: number;
const runtimes = new Map<string, ChannelRuntime>();
/** Everything the server logs, at info and above (to look for tokens and secrets in). */
const logLines: string[] = [];

beforeAll(async () => {
  fake = await startFakeBotApi();
  fake.addBot(TOKEN, "webhook_test_bot");
  s = await startTestServer({
    logger: pino({ level: "info" }, { write: (line: string) => logLines.push(line) }),
    env: {
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_BOT_MODE: "inbox",
      TELEGRAM_API_ROOT: `${fake.url}/`,
      TELEGRAM_POLL_TIMEOUT_S: "1",
      PUBLIC_URL,
    },
  });
  admin = (await s.actor("admin")).headers;
  accountId = (await accountRow()).id;
});
afterAll(async () => {
  await Promise.all([...runtimes.values()].map((r) => r.stop()));
  await s?.close();
  await fake?.close();
});

/** A worker process's channel runtime, with short leases and scans. */
function startRuntime(owner: string) {
  const r = startTestRuntime(s, owner);
  runtimes.set(owner, r);
  return r;
}
async function stopRuntime(owner: string) {
  await runtimes.get(owner)?.stop();
  runtimes.delete(owner);
}

async function accountRow() {
  const rows = await s.ctx.db.select().from(channelAccounts).where(eq(channelAccounts.kind, "telegram"));
  return rows.find((a) => (a.config as { source?: string }).source === "env")!;
}
const storedUpdates = () =>
  s.ctx.db
    .select()
    .from(telegramUpdates)
    .where(eq(telegramUpdates.accountId, accountId))
    .orderBy(asc(telegramUpdates.id));
const itemOf = async (chatId: number, messageId: number, botId = BOT_ID) =>
  (
    await s.ctx.db
      .select()
      .from(inboundItems)
      .where(eq(inboundItems.externalId, `${botId}:${chatId}:${messageId}`))
  )[0];
/** Waits until this message of this chat (of the env bot, unless told) has been taken in. */
const taken = (chatId: number, messageId: number, botId = BOT_ID) =>
  waitFor(
    () => itemOf(chatId, messageId, botId),
    (i) => i !== undefined,
  ).then((i) => i!);
const messagesOf = async (ticketId: number) =>
  (
    await s.ctx.db
      .select()
      .from(ticketMessages)
      .where(eq(ticketMessages.ticketId, ticketId))
      .orderBy(asc(ticketMessages.id))
  ).map((m) => m.body);
const ticketOf = async (id: number) => (await s.ctx.db.select().from(tickets).where(eq(tickets.id, id)))[0]!;

let nextUpdateId = 90_000;
/** An update with a message a person wrote to the bot in their private chat. */
function privateUpdate(
  chatId: number,
  messageId: number,
  content: Record<string, unknown>,
  updateId?: number,
) {
  return {
    update_id: updateId ?? ++nextUpdateId,
    message: {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      from: { id: chatId, is_bot: false, first_name: `Person ${chatId}` },
      chat: { id: chatId, type: "private", first_name: `Person ${chatId}` },
      ...content,
    },
  };
}

/** The secret the receiver gave setWebhook (what Telegram sends back with each update). */
const secretOf = () => fake.webhookOf(TOKEN).secret!;
const postWebhook = (payload: unknown, headers: Record<string, string> = { [SECRET_HEADER]: secretOf() }) =>
  s.inject({
    method: "POST",
    url: webhookPathOf(accountId),
    headers: { "content-type": "application/json", ...headers },
    payload: typeof payload === "string" ? payload : JSON.stringify(payload),
  });
const postSeed = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  s.inject({
    method: "POST",
    url,
    headers: { "content-type": "application/json", ...headers },
    payload: JSON.stringify(payload),
  });

describe("telegram webhook: setWebhook", () => {
  it("points the bot's webhook at our route with a random secret when PUBLIC_URL is https, and never polls", async () => {
    const before = await accountRow();
    startRuntime("worker-a");
    const hook = await waitFor(
      () => fake.webhookOf(TOKEN),
      (h) => h.url !== "",
    );
    expect(hook.url).toBe(`${PUBLIC_URL}/api/channels/telegram/${accountId}/webhook`);
    expect(hook.secret).toMatch(/^[A-Za-z0-9_-]{32,256}$/);
    expect(hook.allowedUpdates).toEqual([...ALLOWED_UPDATES]);
    expect(fake.calls("getUpdates", TOKEN)).toEqual([]);
    expect(fake.calls("deleteWebhook", TOKEN)).toEqual([]);

    // The secret is kept sealed in the config, without counting as a change of settings.
    const after = await accountRow();
    expect(after.updatedAt).toEqual(before.updatedAt);
    expect(JSON.stringify(after.config)).not.toContain(hook.secret);
    const telegramDriver = s.ctx.channels.get("telegram")!;
    expect(openAccountConfig(telegramDriver, s.config.appSecret, after.config).webhook_secret).toBe(
      hook.secret,
    );
    const res = await s.inject({
      method: "GET",
      url: `/api/admin/channels/accounts/${accountId}/`,
      headers: admin,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).not.toContain(hook.secret);
    expect(res.body).not.toContain((after.config as { webhook_secret: string }).webhook_secret);
    expect(res.json().config).toMatchObject({ token: "********", webhook_secret: "********" });
    await waitFor(
      () => accountRow(),
      (a) => a.state === "running" && a.lastError === null,
    );
  });
});

describe("telegram webhook: POST /api/channels/telegram/:accountId/webhook", () => {
  it("refuses an update without the secret (401) or with a wrong one (403), and stores nothing", async () => {
    const update = privateUpdate(7100, 1, { text: "Let me in" });
    const missing = await postWebhook(update, {});
    expect(missing.statusCode).toBe(401);
    expect(missing.json().error.code).toBe("telegram.webhook_unauthorized");
    const wrong = await postWebhook(update, { [SECRET_HEADER]: `${secretOf()}x` });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().error.code).toBe("telegram.webhook_forbidden");
    // The right secret on another bot's URL proves nothing.
    const otherBot = await s.inject({
      method: "POST",
      url: webhookPathOf(accountId + 1000),
      headers: { "content-type": "application/json", [SECRET_HEADER]: secretOf() },
      payload: JSON.stringify(update),
    });
    expect(otherBot.statusCode).toBe(403);
    for (const res of [missing, wrong, otherBot]) expect(res.body).not.toContain(secretOf());
    expect(await storedUpdates()).toEqual([]);
  });

  it("refuses a body that is not an update (400 telegram.bad_update), and stores nothing", async () => {
    const bodies = [
      "{not json",
      "[1, 2]",
      "null",
      JSON.stringify({ message: { text: "no id" } }),
      JSON.stringify({ update_id: "12" }),
      JSON.stringify({ update_id: 1.5 }),
      JSON.stringify({ update_id: -1 }),
    ];
    for (const body of bodies) {
      const res = await postWebhook(body);
      expect(res.statusCode, body).toBe(400);
      expect(res.json().error.code, body).toBe("telegram.bad_update");
    }
    const empty = await s.inject({
      method: "POST",
      url: webhookPathOf(accountId),
      headers: { [SECRET_HEADER]: secretOf() },
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.code).toBe("telegram.bad_update");
    const huge = await postWebhook({ update_id: 1, padding: "x".repeat(1024 * 1024) });
    expect(huge.statusCode).toBe(413);
    expect(await storedUpdates()).toEqual([]);
  });

  it("stores an update Telegram sends again (at once, or later) once, and makes one message of it", async () => {
    const update = privateUpdate(7101, 1, { text: "The VPN drops every hour" });
    const together = await Promise.all([postWebhook(update), postWebhook(update)]);
    expect(together.map((r) => r.statusCode)).toEqual([200, 200]);
    const again = await postWebhook(update);
    expect(again.statusCode, again.body).toBe(200);
    const item = await taken(7101, 1);
    expect(item).toMatchObject({
      status: "ticket",
      accountId,
      deliveryKey: `update:${BOT_ID}:${update.update_id}`,
    });
    expect((await ticketOf(item.ticketId!)).title).toBe("The VPN drops every hour");
    const rows = await waitFor(
      () => storedUpdates(),
      (r) => r.every((u) => u.status === "done"),
    );
    expect(rows.map((r) => [r.updateId, r.chatId, r.tries])).toEqual([[update.update_id, 7101, 0]]);
    expect(rows[0]!.processedAt).not.toBeNull();
  });

  it("processes one chat's updates in update-id order, even when they arrive the other way round", async () => {
    const chat = 7102;
    const updates = [1, 2, 3, 4, 5].map((n) => privateUpdate(chat, n, { text: `Step ${n}` }));
    const answers = await Promise.all([...updates].reverse().map((u) => postWebhook(u)));
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200]);
    await taken(chat, 5);
    // Taken in (and written) one after another, in update-id order, into one request.
    const inOrder = await s.ctx.db
      .select()
      .from(inboundItems)
      .where(like(inboundItems.externalId, `${BOT_ID}:${chat}:%`))
      .orderBy(asc(inboundItems.id));
    expect(inOrder.map((i) => i.externalId)).toEqual([1, 2, 3, 4, 5].map((n) => `${BOT_ID}:${chat}:${n}`));
    expect(inOrder[0]!.status).toBe("ticket");
    const ticketId = inOrder[0]!.ticketId!;
    expect(new Set(inOrder.map((i) => i.ticketId))).toEqual(new Set([ticketId]));
    expect((await ticketOf(ticketId)).description).toBe("Step 1");
    const steps = (await messagesOf(ticketId)).filter((b) => b.startsWith("Step "));
    expect(steps).toEqual([...steps].sort());
    expect(steps).toEqual(expect.arrayContaining(["Step 2", "Step 3", "Step 4", "Step 5"]));
  });

  it("works on two chats at once: one chat's slow download does not hold up another chat", async () => {
    fake.addFile(TOKEN, "slow-doc", Buffer.from("%PDF-1.4 slow report\n"), "documents/slow.pdf");
    const release = fake.hold("getFile", (p) => p.file_id === "slow-doc");
    try {
      await postWebhook(
        privateUpdate(7103, 1, {
          caption: "The report",
          document: { file_id: "slow-doc", file_unique_id: "sd", file_name: "report.pdf", file_size: 21 },
        }),
      );
      await waitFor(
        () => fake.calls("getFile").filter((c) => c.params.file_id === "slow-doc").length,
        (n) => n === 1,
      );
      await postWebhook(privateUpdate(7104, 1, { text: "Meanwhile in another chat" }));
      expect((await taken(7104, 1)).status).toBe("ticket");
      expect(await itemOf(7103, 1)).toBeUndefined();
    } finally {
      release();
    }
    const slow = await taken(7103, 1);
    expect(slow.status).toBe("ticket");
    expect((await ticketOf(slow.ticketId!)).title).toBe("The report");
  });

  it("tries a failed update again, keeping the error on its row", async () => {
    fake.addFile(TOKEN, "flaky-doc", Buffer.from("%PDF-1.4 flaky\n"), "documents/flaky.pdf");
    fake.failNext("getFile", 1, { status: 500 });
    const update = privateUpdate(7105, 1, {
      document: { file_id: "flaky-doc", file_unique_id: "fd", file_name: "flaky.pdf", file_size: 15 },
    });
    await postWebhook(update);
    const failed = await waitFor(
      async () => (await storedUpdates()).find((u) => u.updateId === update.update_id),
      (u) => u?.tries === 1,
    );
    expect(failed).toMatchObject({ status: "pending" });
    expect(failed!.lastError).toContain("500");
    expect(failed!.lastError).not.toContain(TOKEN);
    expect((await taken(7105, 1)).status).toBe("ticket");
    await waitFor(
      async () => (await storedUpdates()).find((u) => u.updateId === update.update_id),
      (u) => u?.status === "done" && u.tries === 1,
    );
  });
});

describe("telegram webhook: the seed endpoint POST /api/webhook/bot/", () => {
  it("takes the bot token from the X-Bot-Token header, from ?token=, or as the path's last segment", async () => {
    const viaHeader = privateUpdate(7201, 1, { text: "Forwarded with a header" });
    const viaQuery = privateUpdate(7202, 1, { text: "Forwarded with a query" });
    const viaPath = privateUpdate(7203, 1, { text: "Forwarded with a path" });
    const answers = [
      await postSeed("/api/webhook/bot/", viaHeader, { "x-bot-token": TOKEN }),
      await postSeed(`/api/webhook/bot?token=${encodeURIComponent(TOKEN)}`, viaQuery),
      await postSeed(`/api/webhook/bot/${TOKEN}`, viaPath),
    ];
    for (const res of answers) {
      expect(res.statusCode, res.body).toBe(200);
      expect(res.body).not.toContain(TOKEN);
    }
    for (const chat of [7201, 7202, 7203]) expect((await taken(chat, 1)).status).toBe("ticket");
    // The same update through the seed endpoint and again is one update.
    expect((await postSeed(`/api/webhook/bot/${TOKEN}/`, viaPath)).statusCode).toBe(200);
    const rows = (await storedUpdates()).filter((u) => u.updateId === viaPath.update_id);
    expect(rows).toHaveLength(1);
  });

  it("refuses a missing token (401) and an unknown or wrong one (403), storing nothing", async () => {
    const before = (await storedUpdates()).length;
    const update = privateUpdate(7204, 1, { text: "Who am I" });
    for (const url of ["/api/webhook/bot/", "/api/webhook/bot"]) {
      const res = await postSeed(url, update);
      expect(res.statusCode, url).toBe(401);
      expect(res.json().error.code).toBe("telegram.webhook_unauthorized");
    }
    const wrongToken = `${BOT_ID}:${"X".repeat(35)}`;
    const unknownBot = `999999:${"W".repeat(35)}`;
    const refused = [
      await postSeed("/api/webhook/bot/", update, { "x-bot-token": wrongToken }),
      await postSeed(`/api/webhook/bot?token=${unknownBot}`, update),
      await postSeed(`/api/webhook/bot/${wrongToken}`, update),
      await postSeed("/api/webhook/bot/not-a-token", update),
    ];
    for (const res of refused) {
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe("telegram.webhook_forbidden");
      expect(res.body).not.toContain(wrongToken);
      expect(res.body).not.toContain(unknownBot);
    }
    expect((await storedUpdates()).length).toBe(before);
    expect(await itemOf(7204, 1)).toBeUndefined();
  });
});

describe("telegram webhook: a forwarded bot", () => {
  const FORWARDED_TOKEN = `666666:${"F".repeat(35)}`;

  it("leaves the delivery of a bot whose updates are forwarded alone, and processes what the seed endpoint stores", async () => {
    fake.addBot(FORWARDED_TOKEN, "forwarded_bot");
    // The program that forwards its updates has its own webhook.
    fake.setWebhook(FORWARDED_TOKEN, "https://other-program.example/hook");
    const telegramDriver = s.ctx.channels.get("telegram")!;
    await s.ctx.db.insert(channelAccounts).values({
      kind: "telegram",
      name: "Forwarded bot",
      config: sealAccountConfig(telegramDriver, s.config.appSecret, {
        source: "admin",
        mode: "inbox",
        token: FORWARDED_TOKEN,
        forwarded: true,
      }),
    });
    await waitFor(
      () => fake.calls("getMe", FORWARDED_TOKEN).length,
      (n) => n >= 1,
    );
    const update = privateUpdate(7501, 1, { text: "Forwarded from the old system" });
    // A bot added a moment ago is known to the endpoint within a second.
    await waitFor(
      async () =>
        (await postSeed("/api/webhook/bot/", update, { "x-bot-token": FORWARDED_TOKEN })).statusCode,
      (status) => status === 200,
    );
    expect((await taken(7501, 1, 666666)).status).toBe("ticket");
    expect(fake.webhookOf(FORWARDED_TOKEN).url).toBe("https://other-program.example/hook");
    for (const method of ["setWebhook", "deleteWebhook", "getUpdates"])
      expect(fake.calls(method, FORWARDED_TOKEN), method).toEqual([]);
  });
});

describe("telegram webhook: the receiver", () => {
  it("processes the updates left pending when a receiver starts again, with the same secret", async () => {
    const secret = secretOf();
    const sets = fake.calls("setWebhook", TOKEN).length;
    await stopRuntime("worker-a");
    const left = [
      privateUpdate(7301, 1, { text: "Sent while nobody listened" }),
      privateUpdate(7302, 1, { text: "Me too" }),
    ];
    for (const u of left) expect((await postWebhook(u)).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    const pending = (await storedUpdates()).filter((u) => u.status === "pending");
    expect(pending.map((u) => u.updateId)).toEqual(left.map((u) => u.update_id));
    expect(await itemOf(7301, 1)).toBeUndefined();

    startRuntime("worker-b");
    expect((await taken(7301, 1)).status).toBe("ticket");
    expect((await taken(7302, 1)).status).toBe("ticket");
    const calls = await waitFor(
      () => fake.calls("setWebhook", TOKEN),
      (c) => c.length > sets,
    );
    expect(calls.at(-1)!.params.secret_token).toBe(secret);
  });

  it("stops processing when the account is stopped, keeps what arrives meanwhile, and goes on when started", async () => {
    const stop = await s.inject({
      method: "POST",
      url: `/api/admin/channels/accounts/${accountId}/stop/`,
      headers: admin,
    });
    expect(stop.statusCode, stop.body).toBe(200);
    await waitFor(
      () => accountRow(),
      (a) => a.state === "stopped" && a.leaseOwner === null,
    );
    const update = privateUpdate(7401, 1, { text: "Is anyone there?" });
    expect((await postWebhook(update)).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await itemOf(7401, 1)).toBeUndefined();
    expect((await storedUpdates()).find((u) => u.updateId === update.update_id)?.status).toBe("pending");

    const start = await s.inject({
      method: "POST",
      url: `/api/admin/channels/accounts/${accountId}/start/`,
      headers: admin,
    });
    expect(start.statusCode, start.body).toBe(200);
    expect((await taken(7401, 1)).status).toBe("ticket");
  });
});

describe("telegram webhook: logs", () => {
  it("never logs a bot token or a webhook secret, though requests and the receiver are logged", async () => {
    const all = logLines.join("");
    expect(all).toContain("incoming request");
    expect(all).toContain("Telegram bot: webhook set");
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(TOKEN.split(":")[1]);
    expect(all).not.toContain(secretOf());
  });
});
