import { and, asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChannelRuntime } from "../../src/channels/channels.runtime.js";
import {
  attachments,
  categories,
  contactIdentities,
  priorities,
  telegramLinkCodes,
  telegramMessageRefs,
  ticketMessages,
  tickets,
  users,
} from "../../src/platform/db/schema/index.js";
import { postStaffReply, startTestServer, type TTestServer } from "../helpers.js";
import { waitFor } from "../wait.js";
import { startFakeBotApi, type TFakeBotApi } from "./fake-bot-api.js";
import { startTestRuntime } from "./runtime.js";

/**
 * The requester bot (TELEGRAM_BOT_MODE's default): people file requests with /new, follow them
 * with /my, add to one by replying, link their account with the profile's deep link, and get
 * their notifications in the chat. Everything runs against the local fake Bot API.
 */

const TOKEN = `444444:${"R".repeat(35)}`;
const BOT_USERNAME = "helpdesk_requester_bot";

const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]),
  Buffer.alloc(200, 7),
  Buffer.from([0xff, 0xd9]),
]);

type TPerson = { id: number; first_name: string; language_code?: string };
const MARIA: TPerson = { id: 8101, first_name: "Мария", language_code: "ru" };
const JOHN: TPerson = { id: 8102, first_name: "John", language_code: "en" };
const KATE: TPerson = { id: 8103, first_name: "Kate", language_code: "en" };
const LEO: TPerson = { id: 8104, first_name: "Leo", language_code: "en" };

let fake: TFakeBotApi;
let s: TTestServer;
let runtime: ChannelRuntime;
let operator: Awaited<ReturnType<TTestServer["actor"]>>;
let kate: Awaited<ReturnType<TTestServer["actor"]>>;
let nextMessageId = 1;
let nextCallback = 1;

beforeAll(async () => {
  fake = await startFakeBotApi();
  fake.addBot(TOKEN, BOT_USERNAME);
  s = await startTestServer({
    env: { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: fake.url, TELEGRAM_POLL_TIMEOUT_S: "1" },
  });
  operator = await s.actor("operator", [1]);
  runtime = startTestRuntime(s, "worker-requester");
});
afterAll(async () => {
  await runtime?.stop();
  await s?.close();
  await fake?.close();
});

/** A person writes to the bot; resolves with the message's id. */
function write(from: TPerson, content: Record<string, unknown>): number {
  const messageId = nextMessageId++;
  fake.pushUpdate(TOKEN, {
    message: {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      from: { ...from, is_bot: false },
      chat: { id: from.id, type: "private", first_name: from.first_name },
      ...content,
    },
  });
  return messageId;
}

/** A person presses a button under one of the bot's messages. */
function press(from: TPerson, data: string, botMessageId = 1) {
  const id = `cb-${nextCallback++}`;
  fake.pushUpdate(TOKEN, {
    callback_query: {
      id,
      from: { ...from, is_bot: false },
      chat_instance: `ci-${from.id}`,
      data,
      message: {
        message_id: botMessageId,
        date: Math.floor(Date.now() / 1000),
        chat: { id: from.id, type: "private" },
        from: { id: 444444, is_bot: true, first_name: "Support bot", username: BOT_USERNAME },
        text: "…",
      },
    },
  });
  return id;
}

type TSaid = { text: string; buttons: { text: string; callback_data?: string; url?: string }[] };
/** What the bot sent to a person's chat, in order. */
function said(person: TPerson): TSaid[] {
  return fake
    .calls("sendMessage", TOKEN)
    .filter((c) => Number(c.params.chat_id) === person.id)
    .map((c) => {
      const markup = (
        typeof c.params.reply_markup === "string" ? JSON.parse(c.params.reply_markup) : c.params.reply_markup
      ) as { inline_keyboard?: TSaid["buttons"][] } | undefined;
      return { text: String(c.params.text), buttons: markup?.inline_keyboard?.flat() ?? [] };
    });
}

/** Waits until the bot has said `n` things to the person and returns the last. */
async function saysNth(person: TPerson, n: number): Promise<TSaid> {
  const list = await waitFor(
    async () => said(person),
    (l) => l.length >= n,
  );
  return list[n - 1]!;
}

/** Waits for the bot's next message to the person after `before` messages. */
const nextSaid = (person: TPerson, before: number) => saysNth(person, before + 1);

const ticketsOf = async (userId: number) =>
  s.ctx.db.select().from(tickets).where(eq(tickets.requesterId, userId)).orderBy(asc(tickets.id));
const personOf = async (telegramId: number) => {
  const [row] = await s.ctx.db
    .select({ userId: contactIdentities.userId })
    .from(contactIdentities)
    .where(
      and(eq(contactIdentities.channel, "telegram"), eq(contactIdentities.externalId, String(telegramId))),
    );
  return row?.userId;
};
/** A message the bot sent about a ticket, to reply to. */
const botMessageAbout = async (ticketId: number) => {
  const rows = await s.ctx.db
    .select()
    .from(telegramMessageRefs)
    .where(eq(telegramMessageRefs.ticketId, ticketId))
    .orderBy(asc(telegramMessageRefs.createdAt));
  return rows.at(-1)!.messageId;
};

describe("telegram requester bot: commands and the /new dialogue", () => {
  it("greets on /start and explains itself on /help, in the person's language", async () => {
    write(MARIA, { text: "/start" });
    expect((await saysNth(MARIA, 1)).text).toMatch(/Здравствуйте/);
    write(JOHN, { text: "/help" });
    const help = await saysNth(JOHN, 1);
    expect(help.text).toMatch(/\/new/);
    expect(help.text).toMatch(/What I can do/);
    // Nothing was filed, and nobody was made a contact by a command.
    expect(await personOf(MARIA.id)).toBeUndefined();
    // The command menu, in both languages.
    const menus = fake.calls("setMyCommands", TOKEN);
    expect(menus.map((c) => (c.params.language_code as string | undefined) ?? "default")).toEqual([
      "default",
      "ru",
    ]);
    expect(JSON.stringify(menus[1]!.params.commands)).toContain("Новая заявка");
  });

  it("files a request with /new: category and priority from keyboards, the text, then photos, then Send", async () => {
    const before = said(MARIA).length;
    write(MARIA, { text: "/new" });
    const askCategory = await nextSaid(MARIA, before);
    expect(askCategory.text).toMatch(/категорию/);
    const [category] = await s.ctx.db.select().from(categories).where(eq(categories.isActive, true)).limit(1);
    const categoryButton = askCategory.buttons.find((b) => b.callback_data === `c:${category!.id}`);
    expect(categoryButton?.text).toBe(category!.nameRu);
    expect(askCategory.buttons.map((b) => b.callback_data)).toContain("x");

    press(MARIA, `c:${category!.id}`);
    const askPriority = await nextSaid(MARIA, before + 1);
    expect(askPriority.text).toMatch(/срочно/);
    const [high] = await s.ctx.db.select().from(priorities).where(eq(priorities.slug, "high"));
    expect(askPriority.buttons.map((b) => b.callback_data)).toContain(`p:${high!.id}`);
    press(MARIA, `p:${high!.id}`);
    expect((await nextSaid(MARIA, before + 2)).text).toMatch(/Опишите проблему/);

    write(MARIA, { text: "Не работает принтер на третьем этаже\nБумага застревает" });
    const more = await nextSaid(MARIA, before + 3);
    expect(more.buttons.map((b) => b.callback_data)).toEqual(["s", "x"]);
    fake.addFile(TOKEN, "maria-photo", JPEG, "photos/maria.jpg");
    write(MARIA, {
      photo: [
        { file_id: "maria-photo", file_unique_id: "u-mp", width: 800, height: 600, file_size: JPEG.length },
      ],
    });
    expect((await nextSaid(MARIA, before + 4)).text).toMatch(/Приложено файлов: 1/);
    expect(await personOf(MARIA.id)).toBeUndefined();

    press(MARIA, "s");
    const created = await nextSaid(MARIA, before + 5);
    expect(created.text).toMatch(/^Заявка #\d+ создана: Не работает принтер на третьем этаже/);
    expect(created.buttons).toContainEqual({
      text: "Ответить",
      callback_data: expect.stringMatching(/^r:\d+$/),
    });

    const userId = (await personOf(MARIA.id))!;
    const [ticket] = await ticketsOf(userId);
    expect(ticket).toMatchObject({
      title: "Не работает принтер на третьем этаже",
      categoryId: category!.id,
      priorityId: high!.id,
      source: "telegram",
    });
    expect(ticket!.description).toContain("Бумага застревает");
    const files = await s.ctx.db.select().from(attachments).where(eq(attachments.ticketId, ticket!.id));
    expect(files).toHaveLength(1);
    expect(files[0]!.filename).toMatch(/^photo-\d+\.jpg$/);

    // "Send" again (a second tap, or Telegram re-sending the update) files nothing more.
    press(MARIA, "s");
    expect((await nextSaid(MARIA, before + 6)).text).toMatch(/устарело/);
    expect(await ticketsOf(userId)).toHaveLength(1);
  });

  it("cancels the dialogue at any step, by word or button, filing nothing", async () => {
    const before = said(JOHN).length;
    write(JOHN, { text: "/new" });
    await nextSaid(JOHN, before);
    write(JOHN, { text: "cancel" });
    expect((await nextSaid(JOHN, before + 1)).text).toMatch(/Cancelled/);
    write(JOHN, { text: "/new" });
    await nextSaid(JOHN, before + 2);
    press(JOHN, "c:0");
    await nextSaid(JOHN, before + 3);
    press(JOHN, "x");
    expect((await nextSaid(JOHN, before + 4)).text).toMatch(/Cancelled/);
    expect(await personOf(JOHN.id)).toBeUndefined();
  });

  it("asks before filing plain text written outside a dialogue; yes files it, no does not", async () => {
    const before = said(JOHN).length;
    write(JOHN, { text: "My laptop does not boot" });
    const ask = await nextSaid(JOHN, before);
    expect(ask.text).toBe("File this message as a new request?");
    press(JOHN, "x");
    expect((await nextSaid(JOHN, before + 1)).text).toMatch(/no request was filed/);
    expect(await personOf(JOHN.id)).toBeUndefined();

    write(JOHN, { text: "VPN drops every hour" });
    await nextSaid(JOHN, before + 2);
    press(JOHN, "f");
    const created = await nextSaid(JOHN, before + 3);
    expect(created.text).toMatch(/^Request #\d+ created: VPN drops every hour/);
    const userId = (await personOf(JOHN.id))!;
    const list = await ticketsOf(userId);
    expect(list.map((t) => t.title)).toEqual(["VPN drops every hour"]);
  });

  it("adds a Telegram reply to any message about a request to that request, and the Reply button too", async () => {
    const userId = (await personOf(JOHN.id))!;
    const [ticket] = await ticketsOf(userId);
    const before = said(JOHN).length;
    write(JOHN, {
      text: "It also happens on Wi-Fi",
      reply_to_message: {
        message_id: await botMessageAbout(ticket!.id),
        date: 0,
        chat: { id: JOHN.id, type: "private" },
      },
    });
    expect((await nextSaid(JOHN, before)).text).toBe(`Added to request #${ticket!.id}.`);

    press(JOHN, `r:${ticket!.id}`);
    expect((await nextSaid(JOHN, before + 1)).text).toBe(`Write your reply to request #${ticket!.id}:`);
    write(JOHN, { text: "And on the cable" });
    await nextSaid(JOHN, before + 2);
    const texts = (
      await s.ctx.db
        .select()
        .from(ticketMessages)
        .where(eq(ticketMessages.ticketId, ticket!.id))
        .orderBy(asc(ticketMessages.id))
    ).map((m) => m.body);
    expect(texts).toEqual(["It also happens on Wi-Fi", "And on the cable"]);
    // Still one request.
    expect(await ticketsOf(userId)).toHaveLength(1);
  });

  it("lists open requests with /my as `#N title — status`, and shows a request's public conversation", async () => {
    const userId = (await personOf(JOHN.id))!;
    const [ticket] = await ticketsOf(userId);
    await postStaffReply(s, operator.headers, ticket!.id, "Please update the VPN client");
    const note = await s.inject({
      method: "POST",
      url: "/api/notes/",
      headers: operator.headers,
      payload: { ticket_id: ticket!.id, text: "internal: user is on the old client" },
    });
    expect(note.statusCode, note.body).toBe(201);
    const before = said(JOHN).length;
    write(JOHN, { text: "/my" });
    const my = await waitFor(
      async () => said(JOHN).slice(before),
      (l) => l.some((m) => m.text.startsWith("Your open requests")),
    ).then((l) => l.find((m) => m.text.startsWith("Your open requests"))!);
    expect(my.text).toContain(`#${ticket!.id} VPN drops every hour — `);
    expect(my.buttons).toEqual([
      { text: `#${ticket!.id} VPN drops every hour`, callback_data: `o:${ticket!.id}` },
    ]);

    const n = said(JOHN).length;
    press(JOHN, `o:${ticket!.id}`);
    const view = await nextSaid(JOHN, n);
    expect(view.text).toContain(`#${ticket!.id} VPN drops every hour`);
    expect(view.text).toContain("You:\nIt also happens on Wi-Fi");
    expect(view.text).toContain("Please update the VPN client");
    expect(view.text).not.toContain("internal");
    // Someone else's request is not shown.
    const m = said(MARIA).length;
    press(MARIA, `o:${ticket!.id}`);
    expect((await nextSaid(MARIA, m)).text).toBe("Эта заявка вам недоступна.");
  });

  it("sends staff replies on a Telegram request with its number and the Reply button, not as a notification too", async () => {
    const userId = (await personOf(MARIA.id))!;
    const [ticket] = await ticketsOf(userId);
    const before = said(MARIA).length;
    await postStaffReply(s, operator.headers, ticket!.id, "Мастер придёт в 15:00");
    const got = await nextSaid(MARIA, before);
    expect(got.text).toMatch(
      new RegExp(`^#${ticket!.id} Не работает принтер.*\\n\\n.+:\\nМастер придёт в 15:00$`, "s"),
    );
    expect(got.buttons[0]).toEqual({ text: "Ответить", callback_data: `r:${ticket!.id}` });
    // A reply to it continues the request.
    write(MARIA, {
      text: "Спасибо!",
      reply_to_message: {
        message_id: await botMessageAbout(ticket!.id),
        date: 0,
        chat: { id: MARIA.id, type: "private" },
      },
    });
    await nextSaid(MARIA, before + 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(
      said(MARIA)
        .slice(before)
        .filter((m) => m.text.includes("Мастер придёт")),
    ).toHaveLength(1);
    const texts = (
      await s.ctx.db.select().from(ticketMessages).where(eq(ticketMessages.ticketId, ticket!.id))
    ).map((m) => m.body);
    expect(texts).toContain("Спасибо!");
  });

  it("switches the language with /lang", async () => {
    const before = said(JOHN).length;
    write(JOHN, { text: "/lang" });
    const choose = await nextSaid(JOHN, before);
    expect(choose.buttons.map((b) => b.callback_data)).toEqual(["l:ru", "l:en"]);
    press(JOHN, "l:ru");
    expect((await nextSaid(JOHN, before + 1)).text).toMatch(/по-русски/);
    const [u] = await s.ctx.db
      .select()
      .from(users)
      .where(eq(users.id, (await personOf(JOHN.id))!));
    expect(u!.language).toBe("ru");
    write(JOHN, { text: "/help" });
    expect((await nextSaid(JOHN, before + 2)).text).toMatch(/Что я умею/);
  });
});

describe("telegram requester bot: linking and notifications", () => {
  it("links an account with the profile's one-time deep link, moving what the person filed on Telegram", async () => {
    // Kate files on Telegram first, as a guest contact.
    write(KATE, { text: "Need a new badge" });
    await saysNth(KATE, 1);
    press(KATE, "f");
    await saysNth(KATE, 2);
    const guestId = (await personOf(KATE.id))!;
    const [filed] = await ticketsOf(guestId);

    kate = await s.actor("requester");
    const state = await s.inject({
      method: "GET",
      url: "/api/auth/profile/telegram/",
      headers: kate.headers,
    });
    expect(state.json()).toEqual({ available: true, bot_username: BOT_USERNAME, linked: null });
    const res = await s.inject({
      method: "POST",
      url: "/api/auth/profile/telegram/link/",
      headers: kate.headers,
    });
    expect(res.statusCode, res.body).toBe(200);
    const { url, expires_at } = res.json();
    const code = new URL(url).searchParams.get("start")!;
    expect(url).toBe(`https://t.me/${BOT_USERNAME}?start=${code}`);
    expect(new Date(expires_at).getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    // Only the code's hash is kept.
    const stored = await s.ctx.db.select().from(telegramLinkCodes);
    expect(JSON.stringify(stored)).not.toContain(code);

    write(KATE, { text: `/start ${code}` });
    expect((await saysNth(KATE, 3)).text).toMatch(/Telegram привязан к учётной записи/);
    expect(await personOf(KATE.id)).toBe(kate.id);
    expect((await ticketsOf(kate.id)).map((t) => t.id)).toEqual([filed!.id]);
    const linked = await s.inject({
      method: "GET",
      url: "/api/auth/profile/telegram/",
      headers: kate.headers,
    });
    expect(linked.json().linked).toEqual({ telegram_id: String(KATE.id), name: "Kate" });

    // The code works once.
    write(LEO, { text: `/start ${code}` });
    expect((await saysNth(LEO, 1)).text).toMatch(/invalid or has expired/);
    expect(await personOf(LEO.id)).toBeUndefined();
  });

  it("refuses an expired link code", async () => {
    const leo = await s.actor("requester");
    const res = await s.inject({
      method: "POST",
      url: "/api/auth/profile/telegram/link/",
      headers: leo.headers,
    });
    const code = new URL(res.json().url).searchParams.get("start")!;
    await s.ctx.db
      .update(telegramLinkCodes)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(telegramLinkCodes.userId, leo.id));
    const before = said(LEO).length;
    write(LEO, { text: `/start ${code}` });
    expect((await nextSaid(LEO, before)).text).toMatch(/invalid or has expired/);
    expect(await personOf(LEO.id)).toBeUndefined();
  });

  it("notifies a linked person in Telegram of staff replies and status changes on web requests, with buttons", async () => {
    const created = await s.inject({
      method: "POST",
      url: "/api/tickets/",
      headers: kate.headers,
      payload: { title: "Monitor flickers", description: "Since Monday" },
    });
    expect(created.statusCode, created.body).toBe(201);
    const ticketId = created.json().id;
    const before = said(KATE).length;
    await postStaffReply(s, operator.headers, ticketId, "Try another cable");
    const notice = await nextSaid(KATE, before);
    expect(notice.text).toMatch(
      new RegExp(`^#${ticketId} Новое сообщение\\nMonitor flickers \\(.+\\)\\n\\nTry another cable$`),
    );
    // In the account's language (test accounts are Russian), whatever Telegram's is.
    expect(notice.buttons).toEqual([{ text: "Ответить", callback_data: `r:${ticketId}` }]);

    // A reply to the notification adds to the request.
    write(KATE, {
      text: "Another cable did not help",
      reply_to_message: {
        message_id: await botMessageAbout(ticketId),
        date: 0,
        chat: { id: KATE.id, type: "private" },
      },
    });
    await nextSaid(KATE, before + 1);
    const texts = (
      await s.ctx.db.select().from(ticketMessages).where(eq(ticketMessages.ticketId, ticketId))
    ).map((m) => m.body);
    expect(texts).toContain("Another cable did not help");

    const n = said(KATE).length;
    const patch = await s.inject({
      method: "PATCH",
      url: `/api/tickets/${ticketId}/`,
      headers: operator.headers,
      payload: { status: "waiting_for_client" },
    });
    expect(patch.statusCode, patch.body).toBe(200);
    expect((await nextSaid(KATE, n)).text).toMatch(
      new RegExp(`^#${ticketId} Статус изменён: Ожидает ответа клиента`),
    );
  });

  it("stops notifying after unlinking", async () => {
    const del = await s.inject({
      method: "DELETE",
      url: "/api/auth/profile/telegram/",
      headers: kate.headers,
    });
    expect(del.statusCode).toBe(204);
    expect(await personOf(KATE.id)).toBeUndefined();
    const [ticket] = (await ticketsOf(kate.id)).slice(-1);
    const before = said(KATE).length;
    await postStaffReply(s, operator.headers, ticket!.id, "Any news?");
    await new Promise((r) => setTimeout(r, 1500));
    expect(said(KATE)).toHaveLength(before);
  });
});
