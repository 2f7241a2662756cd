import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChannelRuntime } from "../../src/channels/channels.runtime.js";
import { channelAccounts } from "../../src/platform/db/schema/index.js";
import { startTestServer, type TTestServer } from "../helpers.js";
import { waitFor } from "../wait.js";
import { startFakeBotApi, type TFakeBotApi } from "./fake-bot-api.js";
import { startTestRuntime } from "./runtime.js";

/** `/api/accounts/` (the seed's account API): bots added, changed, started and stopped at run time. */

const ENV_TOKEN = `600001:${"E".repeat(35)}`;
const TOKEN = `600002:${"F".repeat(35)}`;
const TOKEN_2 = `600003:${"G".repeat(35)}`;
const UNKNOWN = `600009:${"Z".repeat(35)}`;

let fake: TFakeBotApi;
let s: TTestServer;
let runtime: ChannelRuntime;
let admin: Record<string, string>;
let operator: Record<string, string>;

beforeAll(async () => {
  fake = await startFakeBotApi();
  fake.addBot(ENV_TOKEN, "env_bot");
  fake.addBot(TOKEN, "support_line_bot");
  fake.addBot(TOKEN_2, "another_line_bot");
  s = await startTestServer({
    env: { TELEGRAM_BOT_TOKEN: ENV_TOKEN, TELEGRAM_API_ROOT: fake.url, TELEGRAM_POLL_TIMEOUT_S: "1" },
  });
  admin = (await s.actor("admin")).headers;
  operator = (await s.actor("operator", [1])).headers;
  runtime = startTestRuntime(s, "worker-accounts");
});
afterAll(async () => {
  await runtime?.stop();
  await s?.close();
  await fake?.close();
});

const call = (method: "GET" | "POST" | "PATCH" | "DELETE", url: string, payload?: object, headers = admin) =>
  s.inject({ method, url, headers, ...(payload ? { payload } : {}) });
const account = async (id: number) => (await call("GET", `/api/accounts/${id}/`)).json();

describe("telegram accounts API", () => {
  let botId: number;

  it("adds a bot: the token is checked with getMe, sealed, never shown, and the bot starts polling", async () => {
    const res = await call("POST", "/api/accounts/", {
      name: "Support line",
      account_type: "bot",
      bot_token: TOKEN,
      bot_username: "whatever_the_client_says",
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.body).not.toContain(TOKEN);
    const body = res.json();
    expect(body).toMatchObject({
      name: "Support line",
      account_type: "bot",
      bot_username: "support_line_bot",
      mode: "inbox",
      is_enabled: true,
      from_env: false,
      phone_number: null,
    });
    botId = body.id;
    const [row] = await s.ctx.db.select().from(channelAccounts).where(eq(channelAccounts.id, botId));
    expect(JSON.stringify(row!.config)).not.toContain(TOKEN);
    await waitFor(
      () => account(botId),
      (a) => a.state === "active",
    );
    await waitFor(
      async () => fake.isPolling(TOKEN),
      (p) => p,
    );
    const list = (await call("GET", "/api/accounts/")).json().results;
    expect(list.map((a: { bot_username: string }) => a.bot_username)).toEqual([
      "env_bot",
      "support_line_bot",
    ]);
    expect(JSON.stringify(list)).not.toContain(ENV_TOKEN);
  });

  it("refuses a token Telegram does not know (422 with the reason), the same bot twice (409) and bad input (400)", async () => {
    const refused = await call("POST", "/api/accounts/", {
      name: "X",
      account_type: "bot",
      bot_token: UNKNOWN,
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.code).toBe("telegram.token_refused");
    expect(refused.body).not.toContain(UNKNOWN);
    const twice = await call("POST", "/api/accounts/", {
      name: "Again",
      account_type: "bot",
      bot_token: TOKEN,
    });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.code).toBe("telegram.bot_exists");
    for (const payload of [
      { name: "No type", bot_token: TOKEN },
      { name: "Bad token", account_type: "bot", bot_token: "not-a-token" },
      { name: "", account_type: "bot", bot_token: TOKEN_2 },
      { name: "Bad queue", account_type: "bot", bot_token: TOKEN_2, queue_id: 999_999 },
    ]) {
      const res = await call("POST", "/api/accounts/", payload);
      expect(res.statusCode, JSON.stringify(payload)).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, JSON.stringify(payload)).toBeLessThan(500);
    }
    const rows = await s.ctx.db.select().from(channelAccounts).where(eq(channelAccounts.kind, "telegram"));
    expect(rows).toHaveLength(2);
  });

  it("is for admins only", async () => {
    expect((await call("GET", "/api/accounts/", undefined, operator)).statusCode).toBe(403);
    const res = await call(
      "POST",
      "/api/accounts/",
      { name: "Y", account_type: "bot", bot_token: TOKEN_2 },
      operator,
    );
    expect(res.statusCode).toBe(403);
    expect((await s.inject({ method: "GET", url: "/api/accounts/" })).statusCode).toBe(401);
  });

  it("stops and starts a bot at run time, without a restart", async () => {
    const stopped = await call("POST", `/api/accounts/${botId}/stop/`);
    expect(stopped.statusCode).toBe(200);
    await waitFor(
      () => account(botId),
      (a) => a.state === "stopped",
    );
    await waitFor(
      async () => fake.isPolling(TOKEN),
      (p) => !p,
    );
    expect((await call("POST", `/api/accounts/${botId}/start/`)).json().is_enabled).toBe(true);
    await waitFor(
      () => account(botId),
      (a) => a.state === "active",
    );
  });

  it("changes the mode, queue and token (checked again); TELEGRAM_BOT_TOKEN's keeps its token and mode", async () => {
    const changed = await call("PATCH", `/api/accounts/${botId}/`, { mode: "requester", name: "Renamed" });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ mode: "requester", name: "Renamed" });
    const newToken = await call("PATCH", `/api/accounts/${botId}/`, { bot_token: TOKEN_2 });
    expect(newToken.json().bot_username).toBe("another_line_bot");
    expect((await call("PATCH", `/api/accounts/${botId}/`, { bot_token: UNKNOWN })).statusCode).toBe(422);

    const env = (await call("GET", "/api/accounts/"))
      .json()
      .results.find((a: { from_env: boolean }) => a.from_env);
    expect((await call("PATCH", `/api/accounts/${env.id}/`, { bot_token: TOKEN })).statusCode).toBe(409);
    expect((await call("PATCH", `/api/accounts/${env.id}/`, { name: "The env bot" })).json().name).toBe(
      "The env bot",
    );
    expect((await call("DELETE", `/api/accounts/${env.id}/`)).statusCode).toBe(409);
  });

  it("removes a bot", async () => {
    expect((await call("DELETE", `/api/accounts/${botId}/`)).statusCode).toBe(204);
    expect((await call("GET", `/api/accounts/${botId}/`)).statusCode).toBe(404);
    await waitFor(
      async () => fake.isPolling(TOKEN_2),
      (p) => !p,
    );
  });
});
