import { and, asc, eq, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAccountConfig, sealAccountConfig } from "../../src/channels/channel-secrets.js";
import type { ChannelRuntime } from "../../src/channels/channels.runtime.js";
import { SEND_REPLY_JOB } from "../../src/modules/conversations/conversations.outbound.js";
import {
  channelAccounts,
  contactIdentities,
  inboundItems,
  ticketMessages,
  users,
} from "../../src/platform/db/schema/index.js";
import { postStaffReply, startTestServer, type TTestServer } from "../helpers.js";
import { waitFor } from "../wait.js";
import { startFakeBotApi, type TFakeBotApi } from "./fake-bot-api.js";
import { startTestRuntime } from "./runtime.js";

/** The bot TELEGRAM_BOT_TOKEN names, and a second one an admin would add. */
const TOKEN = `111111:${"A".repeat(35)}`;
const TOKEN_2 = `222222:${"B".repeat(35)}`;
/** A token Telegram does not know (401). */
const TOKEN_BAD = `333333:${"C".repeat(35)}`;
const BOT_ID = 111111;

/** A small real JPEG header: enough for the upload checks to see an image. */
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]),
  Buffer.alloc(200, 7),
  Buffer.from([0xff, 0xd9]),
]);

let fake: TFakeBotApi;
let s: TTestServer;
let admin: Record<string, string>;
let operator: Awaited<ReturnType<TTestServer["actor"]>>;
const runtimes = new Map<string, ChannelRuntime>();

beforeAll(async () => {
  fake = await startFakeBotApi();
  fake.addBot(TOKEN, "helpdesk_test_bot");
  s = await startTestServer({
    env: {
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_BOT_MODE: "inbox",
      TELEGRAM_API_ROOT: `${fake.url}/`,
      TELEGRAM_POLL_TIMEOUT_S: "1",
    },
  });
  admin = (await s.actor("admin")).headers;
  operator = await s.actor("operator", [1]);
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

const telegramDriver = () => s.ctx.channels.get("telegram")!;
const accountRow = async (id: number) =>
  (await s.ctx.db.select().from(channelAccounts).where(eq(channelAccounts.id, id)))[0]!;
const envAccount = async () =>
  (await s.ctx.db.select().from(channelAccounts).where(eq(channelAccounts.kind, "telegram"))).find(
    (a) => (a.config as { source?: string }).source === "env",
  )!;
const items = () =>
  s.ctx.db
    .select()
    .from(inboundItems)
    .where(eq(inboundItems.channel, "telegram"))
    .orderBy(asc(inboundItems.id));
const itemOf = async (externalId: string) =>
  (await s.ctx.db.select().from(inboundItems).where(eq(inboundItems.externalId, externalId)))[0];
/** Waits until the message with this id of this chat (of the env bot) has been taken in. */
const taken = (chatId: number, messageId: number, botId = BOT_ID) =>
  waitFor(
    () => itemOf(`${botId}:${chatId}:${messageId}`),
    (i) => i !== undefined,
  ).then((i) => i!);
const ticketAs = async (headers: Record<string, string>, id: number) =>
  (await s.inject({ method: "GET", url: `/api/tickets/${id}/`, headers })).json();
const messagesOf = (ticketId: number) =>
  s.ctx.db
    .select()
    .from(ticketMessages)
    .where(eq(ticketMessages.ticketId, ticketId))
    .orderBy(asc(ticketMessages.id));
const messageAs = async (id: number) =>
  (await s.inject({ method: "GET", url: `/api/messages/${id}/`, headers: operator.headers })).json();

type TPerson = {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
};
const IVAN: TPerson = { id: 7001, first_name: "Иван", last_name: "Петров", language_code: "ru" };
const OLGA: TPerson = { id: 7002, first_name: "Olga", language_code: "en-GB" };
const PAUL: TPerson = { id: 7003, first_name: "Paul", username: "paul_k" };
const NINA: TPerson = { id: 7004, first_name: "Nina" };

/** An update with a message a person wrote to the bot in their private chat. */
function privateUpdate(from: TPerson, messageId: number, content: Record<string, unknown>) {
  return {
    message: {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      from: { ...from, is_bot: false },
      chat: { id: from.id, type: "private", first_name: from.first_name },
      ...content,
    },
  };
}

let ivanTicket: number;

describe("telegram bot: the env account", () => {
  it("mirrors TELEGRAM_BOT_TOKEN into one telegram account and never shows its token", async () => {
    const res = await s.inject({
      method: "GET",
      url: "/api/admin/channels/accounts/?kind=telegram",
      headers: admin,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).not.toContain(TOKEN);
    const body = res.json();
    expect(body.results).toHaveLength(1);
    expect(body.results[0]).toMatchObject({
      kind: "telegram",
      is_enabled: true,
      config: { source: "env", token: "********" },
    });
    expect(body.drivers).toContainEqual({ name: "telegram", can_receive: true, can_send: true });
    const row = await envAccount();
    expect(row.queueId).toBeNull();
    expect(JSON.stringify(row.config)).not.toContain(TOKEN);
    expect(openAccountConfig(telegramDriver(), s.config.appSecret, row.config).token).toBe(TOKEN);

    // Every start mirrors it again: the same token changes nothing, a new one replaces it.
    await telegramDriver().ensureEnvAccount!(s.ctx);
    expect((await envAccount()).updatedAt).toEqual(row.updatedAt);
    const other = `111111:${"Z".repeat(40)}`;
    await telegramDriver().ensureEnvAccount!({ ...s.ctx, config: { ...s.config, telegramBotToken: other } });
    const changed = await envAccount();
    expect(changed.id).toBe(row.id);
    expect(changed.updatedAt.getTime()).toBeGreaterThan(row.updatedAt.getTime());
    expect(openAccountConfig(telegramDriver(), s.config.appSecret, changed.config).token).toBe(other);
    await telegramDriver().ensureEnvAccount!(s.ctx);
    expect(openAccountConfig(telegramDriver(), s.config.appSecret, (await envAccount()).config).token).toBe(
      TOKEN,
    );
    expect(
      (await s.ctx.db.select().from(channelAccounts).where(eq(channelAccounts.kind, "telegram"))).length,
    ).toBe(1);
  });
});

describe("telegram bot: receiving", () => {
  beforeAll(() => {
    startRuntime("worker-a");
  });

  it("turns a private message into a request of a contact without e-mail; the chat's next message joins it", async () => {
    const before = await envAccount();
    fake.pushUpdate(TOKEN, privateUpdate(IVAN, 1, { text: "Принтер на 3 этаже зажевал бумагу\nОшибка E05" }));
    const first = await taken(IVAN.id, 1);
    expect(first).toMatchObject({ status: "ticket", accountId: before.id, sender: "7001" });
    expect(first.deliveryKey).toMatch(/^update:111111:\d+$/);
    ivanTicket = first.ticketId!;

    const ticket = await ticketAs(operator.headers, ivanTicket);
    expect(ticket).toMatchObject({
      title: "Принтер на 3 этаже зажевал бумагу",
      source: "telegram",
      description: "Принтер на 3 этаже зажевал бумагу\nОшибка E05",
    });
    const [contact] = await s.ctx.db.select().from(users).where(eq(users.id, ticket.requester.id));
    expect(contact).toMatchObject({ email: null, name: "Иван Петров", role: "requester", language: "ru" });
    const identities = await s.ctx.db
      .select()
      .from(contactIdentities)
      .where(and(eq(contactIdentities.channel, "telegram"), eq(contactIdentities.externalId, "7001")));
    expect(identities.map((i) => i.userId)).toEqual([contact!.id]);

    fake.pushUpdate(TOKEN, privateUpdate(IVAN, 2, { text: "Уже третий раз за неделю" }));
    const second = await taken(IVAN.id, 2);
    expect(second).toMatchObject({ status: "reply", ticketId: ivanTicket });
    // An inbox bot's conversation is a chat: the opening message is the chat's first message too.
    expect((await messagesOf(ivanTicket)).map((m) => m.body)).toEqual([
      "Принтер на 3 этаже зажевал бумагу\nОшибка E05",
      "Уже третий раз за неделю",
    ]);

    // Before polling, the receiver dropped any webhook and asked who the bot is, and kept that.
    expect(fake.calls("deleteWebhook", TOKEN).length).toBeGreaterThanOrEqual(1);
    const after = await envAccount();
    expect(after.config).toMatchObject({ username: "helpdesk_test_bot", bot_id: BOT_ID, source: "env" });
    // …without it counting as a change of settings (which would restart the receiver).
    expect(after.updatedAt).toEqual(before.updatedAt);
    const cursor = await waitFor(
      async () => (await envAccount()).cursor as { offset?: number },
      (c) => (c.offset ?? 0) > Number(second.deliveryKey!.split(":")[2]),
    );
    expect(cursor).toMatchObject({ bot_id: BOT_ID });
    expect(after).toMatchObject({ state: "running", leaseOwner: "worker-a", lastError: null });
  });

  it("downloads a photo (its largest size) into an attachment, and notes a file too large to fetch", async () => {
    fake.addFile(TOKEN, "photo-big", JPEG, "photos/file_1.jpg");
    fake.pushUpdate(
      TOKEN,
      privateUpdate(OLGA, 10, {
        caption: "The screen after the update",
        photo: [
          { file_id: "photo-small", file_unique_id: "s", width: 90, height: 60, file_size: 120 },
          { file_id: "photo-big", file_unique_id: "b", width: 1280, height: 853, file_size: JPEG.length },
        ],
      }),
    );
    const photo = await taken(OLGA.id, 10);
    expect(photo.status).toBe("ticket");
    const ticket = await ticketAs(operator.headers, photo.ticketId!);
    expect(ticket.title).toBe("The screen after the update");
    expect(ticket.attachments).toMatchObject([
      { filename: "photo-10.jpg", content_type: "image/jpeg", size: JPEG.length },
    ]);
    const [contact] = await s.ctx.db.select().from(users).where(eq(users.id, ticket.requester.id));
    expect(contact).toMatchObject({ name: "Olga", language: "en", email: null });
    expect(fake.calls("getFile").map((c) => c.params.file_id)).toEqual(["photo-big"]);
    expect(fake.calls("file").map((c) => c.params.path)).toEqual(["photos/file_1.jpg"]);

    fake.pushUpdate(
      TOKEN,
      privateUpdate(PAUL, 11, {
        document: {
          file_id: "doc-huge",
          file_unique_id: "h",
          file_name: "memory.dmp",
          mime_type: "application/octet-stream",
          file_size: 25 * 1024 * 1024,
        },
      }),
    );
    const huge = await taken(PAUL.id, 11);
    expect(huge.status).toBe("ticket");
    const hugeTicket = await ticketAs(operator.headers, huge.ticketId!);
    expect(hugeTicket.title).toBe("Telegram message");
    expect(hugeTicket.description).toContain("[memory.dmp: 26214400 bytes, too large to fetch from Telegram");
    expect(hugeTicket.attachments ?? []).toEqual([]);
    expect(fake.calls("getFile").map((c) => c.params.file_id)).not.toContain("doc-huge");
    const [paul] = await s.ctx.db.select().from(users).where(eq(users.id, hugeTicket.requester.id));
    expect(paul).toMatchObject({ name: "Paul", email: null });
  });

  it("makes nothing twice: the same message again, or updates Telegram delivers again after a crash", async () => {
    const count = (await items()).length;
    const ivanMessages = (await messagesOf(ivanTicket)).length;
    // Telegram sends the same message under a new update id.
    fake.pushUpdate(TOKEN, privateUpdate(IVAN, 1, { text: "Принтер на 3 этаже зажевал бумагу\nОшибка E05" }));
    fake.pushUpdate(TOKEN, privateUpdate(NINA, 20, { text: "Marker one" }));
    await taken(NINA.id, 20);
    expect((await items()).length).toBe(count + 1);

    // The worker dies before its offset is saved: its successor gets the same updates again.
    const firstUpdate = Number((await itemOf(`${BOT_ID}:${IVAN.id}:1`))!.deliveryKey!.split(":")[2]);
    await stopRuntime("worker-a");
    const account = await envAccount();
    await s.ctx.db
      .update(channelAccounts)
      .set({ cursor: { offset: firstUpdate, bot_id: BOT_ID } })
      .where(eq(channelAccounts.id, account.id));
    fake.replay(TOKEN, firstUpdate);
    fake.pushUpdate(TOKEN, privateUpdate(NINA, 21, { text: "Marker two" }));
    startRuntime("worker-a2");
    await taken(NINA.id, 21);
    expect((await items()).length).toBe(count + 2);
    expect((await messagesOf(ivanTicket)).length).toBe(ivanMessages);
    expect(fake.calls("getFile").map((c) => c.params.file_id)).toEqual(["photo-big"]);
  });

  it("ignores groups, channels, other bots and edits, recording nothing", async () => {
    const count = (await items()).length;
    fake.pushUpdate(TOKEN, {
      message: {
        message_id: 30,
        date: 1,
        from: { id: 7001, is_bot: false, first_name: "Иван" },
        chat: { id: -100500, type: "group", title: "Office" },
        text: "@helpdesk_test_bot the printer again",
      },
    });
    fake.pushUpdate(TOKEN, {
      message: {
        message_id: 31,
        date: 1,
        from: { id: 9999, is_bot: true, first_name: "Other bot" },
        chat: { id: 9999, type: "private", first_name: "Other bot" },
        text: "beep",
      },
    });
    fake.pushUpdate(TOKEN, {
      channel_post: { message_id: 32, date: 1, chat: { id: -100600, type: "channel" }, text: "news" },
    });
    fake.pushUpdate(TOKEN, {
      edited_message: { ...privateUpdate(IVAN, 2, { text: "edited" }).message, edit_date: 2 },
    });
    fake.pushUpdate(TOKEN, privateUpdate(NINA, 33, { text: "Marker three" }));
    await taken(NINA.id, 33);
    const after = await items();
    expect(after.length).toBe(count + 1);
    expect(
      await s.ctx.db.select().from(inboundItems).where(like(inboundItems.externalId, "%:-100500:%")),
    ).toEqual([]);
    expect(
      await s.ctx.db.select().from(inboundItems).where(like(inboundItems.externalId, "%:9999:%")),
    ).toEqual([]);
    expect((await messagesOf(ivanTicket)).map((m) => m.body)).toEqual([
      "Принтер на 3 этаже зажевал бумагу\nОшибка E05",
      "Уже третий раз за неделю",
    ]);
  });

  it("records /start, the first thing of every chat, without making a request of it", async () => {
    fake.pushUpdate(TOKEN, privateUpdate({ id: 7005, first_name: "Lena" }, 40, { text: "/start" }));
    const start = await taken(7005, 40);
    expect(start).toMatchObject({ status: "ignored", reason: "the /start command", ticketId: null });
  });
});

describe("telegram bot: replies", () => {
  const reply = (ticketId: number, text: string) => postStaffReply(s, operator.headers, ticketId, text);
  const sentTo = (chatId: number) =>
    fake.calls("sendMessage", TOKEN).filter((c) => c.params.chat_id === chatId);

  it("sends a staff reply to the customer's chat, through the bot they wrote to", async () => {
    const messageId = await reply(ivanTicket, "Перезагрузите принтер, пожалуйста");
    const [call] = await waitFor(
      () => sentTo(IVAN.id),
      (list) => list.length === 1,
    );
    expect(call!.params.text).toMatch(/^.+:\nПерезагрузите принтер, пожалуйста$/);
    const { delivery } = await waitFor(
      () => messageAs(messageId),
      (m) => m.delivery?.state === "sent",
    );
    expect(delivery).toMatchObject({ channel: "telegram", state: "sent", attempts: 1, last_error: null });
  });

  it("retries a reply Telegram failed (5xx, or 429 with its wait shown), and splits a long one", async () => {
    fake.failNext("sendMessage", 1, { status: 500 });
    const messageId = await reply(ivanTicket, "Second answer");
    const failed = await waitFor(
      () => messageAs(messageId),
      (m) => m.delivery?.attempts === 1,
    );
    expect(failed.delivery).toMatchObject({ state: "retrying" });
    expect(failed.delivery.last_error).toContain("500 Internal Server Error");
    expect(failed.delivery.last_error).not.toContain(TOKEN);
    // The queue retries (here by hand: tests run jobs inline).
    await s.ctx.jobs.runNow(SEND_REPLY_JOB, { messageId });
    expect((await messageAs(messageId)).delivery).toMatchObject({
      state: "sent",
      attempts: 2,
      last_error: null,
    });
    expect(sentTo(IVAN.id).at(-1)!.params.text).toMatch(/:\nSecond answer$/);

    fake.failNext("sendMessage", 1, { status: 429, retryAfter: 7 });
    const limited = await reply(ivanTicket, "Third answer");
    const waiting = await waitFor(
      () => messageAs(limited),
      (m) => m.delivery?.attempts === 1,
    );
    expect(waiting.delivery.last_error).toContain("429");
    expect(waiting.delivery.last_error).toContain("retry after 7 s");
    await s.ctx.jobs.runNow(SEND_REPLY_JOB, { messageId: limited });
    expect((await messageAs(limited)).delivery.state).toBe("sent");

    const sentBefore = sentTo(IVAN.id).length;
    const long = `${"Шаг за шагом. ".repeat(400)}Конец.`;
    const longId = await reply(ivanTicket, long);
    await waitFor(
      () => messageAs(longId),
      (m) => m.delivery?.state === "sent",
    );
    const parts = sentTo(IVAN.id)
      .slice(sentBefore)
      .map((c) => String(c.params.text));
    expect(parts.length).toBe(2);
    expect(parts.every((p) => p.length <= 4096)).toBe(true);
    expect(parts[1]).toMatch(/Конец\.$/);
  });
});

describe("telegram bot: polling under the lease", () => {
  it("waits after Telegram's 409 (another poller) instead of looping, and shows it until polling works again", async () => {
    const account = await envAccount();
    fake.failNext("getUpdates", 1, {
      status: 409,
      description:
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    });
    const shown = await waitFor(
      () => accountRow(account.id),
      (a) => a.lastError !== null,
    );
    expect(shown.lastError).toContain("409 Conflict: terminated by other getUpdates request");
    const cleared = await waitFor(
      () => accountRow(account.id),
      (a) => a.lastError === null,
      15_000,
    );
    expect(cleared.state).toBe("running");
    const polls = fake.calls("getUpdates", TOKEN);
    const conflict = polls.findIndex((_c, i) => i > 0 && polls[i]!.at - polls[i - 1]!.at >= 4500);
    expect(conflict).toBeGreaterThan(0);
  });

  it("never lets two workers poll one bot at once, hands it over, and stops polling when stopped", async () => {
    fake.addBot(TOKEN_2, "second_test_bot");
    // Someone had set a webhook: polling would be refused until it is deleted.
    fake.setWebhook(TOKEN_2, "https://old.example/hook");
    const [row] = await s.ctx.db
      .insert(channelAccounts)
      .values({
        kind: "telegram",
        name: "Second bot",
        config: sealAccountConfig(telegramDriver(), s.config.appSecret, {
          source: "admin",
          mode: "inbox",
          token: TOKEN_2,
        }),
      })
      .returning();
    const id = row!.id;
    const conflictsBefore = fake.conflicts();
    startRuntime("worker-b");
    await waitFor(
      () => fake.isPolling(TOKEN_2),
      (p) => p,
    );
    for (let i = 1; i <= 3; i++) {
      fake.pushUpdate(
        TOKEN_2,
        privateUpdate({ id: 8000 + i, first_name: `Guest ${i}` }, i, { text: `Hello ${i}` }),
      );
    }
    for (let i = 1; i <= 3; i++) expect((await taken(8000 + i, i, 222222)).status).toBe("ticket");
    // Both workers keep scanning for a while; only the lease holder polls.
    await waitFor(
      () => fake.calls("getUpdates", TOKEN_2).length,
      (n) => n >= 6,
    );
    expect(fake.conflicts()).toBe(conflictsBefore);

    const holder = (await accountRow(id)).leaseOwner!;
    const other = holder === "worker-b" ? "worker-a2" : "worker-b";
    await stopRuntime(holder);
    await waitFor(
      () => accountRow(id),
      (a) => a.leaseOwner === other && a.state === "running",
    );
    fake.pushUpdate(TOKEN_2, privateUpdate({ id: 8004, first_name: "Guest 4" }, 4, { text: "Hello 4" }));
    expect((await taken(8004, 4, 222222)).status).toBe("ticket");
    // At most the handover itself may overlap by one request.
    expect(fake.conflicts() - conflictsBefore).toBeLessThanOrEqual(1);

    const stop = await s.inject({
      method: "POST",
      url: `/api/admin/channels/accounts/${id}/stop/`,
      headers: admin,
    });
    expect(stop.statusCode, stop.body).toBe(200);
    await waitFor(
      () => accountRow(id),
      (a) => a.state === "stopped" && a.leaseOwner === null,
    );
    await waitFor(
      () => fake.isPolling(TOKEN_2),
      (p) => !p,
    );
    const polls = fake.calls("getUpdates", TOKEN_2).length;
    fake.pushUpdate(TOKEN_2, privateUpdate({ id: 8005, first_name: "Guest 5" }, 5, { text: "Anyone?" }));
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.calls("getUpdates", TOKEN_2).length).toBe(polls);
    expect(await itemOf("222222:8005:5")).toBeUndefined();
  });

  it("backs off a bot whose token Telegram refuses, showing why", async () => {
    const [row] = await s.ctx.db
      .insert(channelAccounts)
      .values({
        kind: "telegram",
        name: "Revoked bot",
        config: sealAccountConfig(telegramDriver(), s.config.appSecret, {
          source: "admin",
          token: TOKEN_BAD,
        }),
      })
      .returning();
    const failed = await waitFor(
      () => accountRow(row!.id),
      (a) => a.state === "backoff",
    );
    expect(failed.lastError).toContain("401 Unauthorized");
    expect(failed.lastError).not.toContain(TOKEN_BAD);
    const test = await telegramDriver().testConnection!(s.ctx, {
      id: row!.id,
      kind: "telegram",
      name: "Revoked bot",
      config: { source: "admin", token: TOKEN_BAD, username: "", bot_id: null },
      queueId: null,
      cursor: {},
    });
    expect(test).toMatchObject({ ok: false });
    const ok = await telegramDriver().testConnection!(s.ctx, {
      id: 0,
      kind: "telegram",
      name: "x",
      config: { source: "admin", token: TOKEN, username: "", bot_id: null },
      queueId: null,
      cursor: {},
    });
    expect(ok).toEqual({ ok: true });
  });
});
