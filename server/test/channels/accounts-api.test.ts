import {
  CHANNEL_BULK_MAX,
  ZChannelAccount,
  ZChannelAccountList,
  ZChannelBulkResult,
} from "@helpdesk/contracts";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineChannelDriver } from "../../src/channels/channel-driver.js";
import { createChannelRegistry } from "../../src/channels/channel-registry.js";
import { sealAccountConfig } from "../../src/channels/channel-secrets.js";
import { type ChannelRuntime, startChannelRuntime } from "../../src/channels/channels.runtime.js";
import { channelAccounts } from "../../src/platform/db/schema/index.js";
import { startTestServer, type TTestServer } from "../helpers.js";
import { untilTrue } from "../wait.js";

const BASE = "/api/admin/channels/accounts";
const SECRET = "bot-token-do-not-show";

/** Receivers running right now, by account id. */
const reading = new Set<number>();

const testDriver = defineChannelDriver({
  name: "apitest",
  accountConfig: z.object({ token: z.string(), label: z.string().default("") }),
  secretFields: ["token"],
  async receive(_ctx, account, control) {
    reading.add(account.id);
    try {
      control.touch();
      await new Promise<void>((resolve) =>
        control.signal.addEventListener("abort", () => resolve(), { once: true }),
      );
    } finally {
      reading.delete(account.id);
    }
  },
});

let s: TTestServer;
let admin: { authorization: string };
const runtimes: ChannelRuntime[] = [];

beforeAll(async () => {
  s = await startTestServer({ drivers: [testDriver] });
  admin = (await s.actor("admin")).headers;
});
afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.stop()));
  await s?.close();
});

async function addAccount(
  values: { name?: string; kind?: string; isEnabled?: boolean; config?: Record<string, unknown> } = {},
) {
  const config = values.config ?? { token: SECRET, label: "main" };
  const [row] = await s.ctx.db
    .insert(channelAccounts)
    .values({
      kind: values.kind ?? "apitest",
      name: values.name ?? "Test bot",
      isEnabled: values.isEnabled ?? false,
      config: sealAccountConfig(testDriver, s.config.appSecret, config),
    })
    .returning({ id: channelAccounts.id });
  return row!.id;
}

const stored = async (id: number) =>
  (
    await s.ctx.db
      .select({
        isEnabled: channelAccounts.isEnabled,
        state: channelAccounts.state,
        failures: channelAccounts.failures,
        lastError: channelAccounts.lastError,
        leaseOwner: channelAccounts.leaseOwner,
        updatedAt: channelAccounts.updatedAt,
      })
      .from(channelAccounts)
      .where(eq(channelAccounts.id, id))
  )[0]!;

/** `is_enabled` of every account: what a refused request must leave alone. */
const switches = async () =>
  (await s.ctx.db.select({ id: channelAccounts.id, on: channelAccounts.isEnabled }).from(channelAccounts))
    .sort((a, b) => a.id - b.id)
    .map((r) => `${r.id}:${r.on}`)
    .join(",");

describe("#channels.accounts.list", () => {
  it("lists accounts with their secrets redacted, and the registered drivers", async () => {
    const id = await addAccount({ name: "Support bot" });
    const res = await s.inject({ method: "GET", url: `${BASE}/`, headers: admin });
    expect(res.statusCode).toBe(200);
    const body = ZChannelAccountList.parse(res.json());
    const account = body.results.find((a) => a.id === id)!;
    expect(account).toMatchObject({
      kind: "apitest",
      name: "Support bot",
      is_enabled: false,
      state: "stopped",
      failures: 0,
      last_error: null,
      lease_owner: null,
      config: { token: "********", label: "main" },
    });
    // Neither the secret nor its sealed form leaves the server.
    const sealed = (
      await s.ctx.db
        .select({ config: channelAccounts.config })
        .from(channelAccounts)
        .where(eq(channelAccounts.id, id))
    )[0]!.config as { token: string };
    expect(res.body).not.toContain(SECRET);
    expect(res.body).not.toContain(sealed.token);
    expect(body.drivers.map((d) => d.name)).toEqual(s.ctx.channels.list().map((d) => d.name));
    expect(body.drivers).toContainEqual({ name: "apitest", can_receive: true, can_send: false });
    expect(body.drivers.find((d) => d.name === "email")?.can_send).toBe(true);
  });

  it("filters by kind and shows nothing of the config of a kind without a driver", async () => {
    const orphan = await addAccount({ kind: "gone", config: { token: "plain-secret" } });
    const only = ZChannelAccountList.parse(
      (await s.inject({ method: "GET", url: `${BASE}/?kind=apitest`, headers: admin })).json(),
    );
    expect(only.results.length).toBeGreaterThan(0);
    expect(only.results.every((a) => a.kind === "apitest")).toBe(true);

    const res = await s.inject({ method: "GET", url: `${BASE}/?kind=gone`, headers: admin });
    const gone = ZChannelAccountList.parse(res.json());
    expect(gone.results.map((a) => a.id)).toEqual([orphan]);
    expect(gone.results[0]!.config).toEqual({});
    expect(res.body).not.toContain("plain-secret");

    const none = await s.inject({ method: "GET", url: `${BASE}/?kind=nothing`, headers: admin });
    expect(none.json().results).toEqual([]);
  });
});

describe("#channels.accounts.get", () => {
  it("answers one account, redacted", async () => {
    const id = await addAccount();
    const res = await s.inject({ method: "GET", url: `${BASE}/${id}/`, headers: admin });
    expect(res.statusCode).toBe(200);
    const account = ZChannelAccount.parse(res.json());
    expect(account.id).toBe(id);
    expect(account.config).toEqual({ token: "********", label: "main" });
    expect(res.body).not.toContain(SECRET);
  });

  it("answers 404 channels.account_not_found for an unknown id, 400 for a bad one", async () => {
    for (const [method, url] of [
      ["GET", `${BASE}/2147483000/`],
      ["POST", `${BASE}/2147483000/start/`],
      ["POST", `${BASE}/2147483000/stop/`],
    ] as const) {
      const res = await s.inject({ method, url, headers: admin });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe("channels.account_not_found");
    }
    for (const id of ["abc", "0", "1e3", "2147483648"]) {
      const res = await s.inject({ method: "GET", url: `${BASE}/${id}/`, headers: admin });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe("validation.invalid");
    }
  });
});

describe("#channels.accounts.start / stop", () => {
  it("start enables the account, forgets its crashes but keeps the last error, and retries a crashed one now", async () => {
    const id = await addAccount();
    await s.ctx.db
      .update(channelAccounts)
      .set({ failures: 4, lastError: "cannot reach the channel", lastErrorAt: new Date(), state: "error" })
      .where(eq(channelAccounts.id, id));
    const before = await stored(id);
    const res = await s.inject({ method: "POST", url: `${BASE}/${id}/start/`, headers: admin });
    expect(res.statusCode).toBe(200);
    const account = ZChannelAccount.parse(res.json());
    expect(account).toMatchObject({
      id,
      is_enabled: true,
      failures: 0,
      last_error: "cannot reach the channel",
    });
    const after = await stored(id);
    expect(after).toMatchObject({ isEnabled: true, failures: 0, lastError: "cannot reach the channel" });
    // updated_at means "restart it" to the runtime: a crashed account is retried now...
    expect(after.updatedAt.getTime()).toBeGreaterThan(before.updatedAt.getTime());
    // ...and a running one is left running as it is.
    await s.ctx.db.update(channelAccounts).set({ state: "running" }).where(eq(channelAccounts.id, id));
    await s.inject({ method: "POST", url: `${BASE}/${id}/start/`, headers: admin });
    expect((await stored(id)).updatedAt.getTime()).toBe(after.updatedAt.getTime());
  });

  it("stop disables the account; one no worker holds shows as stopped at once", async () => {
    const id = await addAccount({ isEnabled: true });
    // A state left behind by a worker that died.
    await s.ctx.db.update(channelAccounts).set({ state: "running" }).where(eq(channelAccounts.id, id));
    const res = await s.inject({ method: "POST", url: `${BASE}/${id}/stop/`, headers: admin });
    expect(res.statusCode).toBe(200);
    expect(ZChannelAccount.parse(res.json())).toMatchObject({ id, is_enabled: false, state: "stopped" });
    expect(await stored(id)).toMatchObject({ isEnabled: false, state: "stopped" });

    // Stopping again is fine and changes nothing.
    const again = await s.inject({ method: "POST", url: `${BASE}/${id}/stop`, headers: admin });
    expect(again.statusCode).toBe(200);
    expect(again.json().is_enabled).toBe(false);
  });

  it("stop leaves the state of an account a worker holds to that worker", async () => {
    const id = await addAccount({ isEnabled: true });
    await s.ctx.db
      .update(channelAccounts)
      .set({ state: "running", leaseOwner: "worker-x", leaseUntil: new Date(Date.now() + 60_000) })
      .where(eq(channelAccounts.id, id));
    const res = await s.inject({ method: "POST", url: `${BASE}/${id}/stop/`, headers: admin });
    expect(res.json()).toMatchObject({ is_enabled: false, state: "running", lease_owner: "worker-x" });
  });
});

describe("#channels.accounts.bulk", () => {
  it("starts and stops many accounts in one request and reports unknown ids", async () => {
    const a = await addAccount({ name: "Bulk A" });
    const b = await addAccount({ name: "Bulk B" });
    const started = await s.inject({
      method: "POST",
      url: `${BASE}/bulk/`,
      headers: admin,
      payload: { ids: [b, a, 2147483001, a], action: "start" },
    });
    expect(started.statusCode).toBe(200);
    const body = ZChannelBulkResult.parse(started.json());
    expect(body.updated).toBe(2);
    expect(body.missing).toEqual([2147483001]);
    expect(body.accounts.map((x) => [x.id, x.is_enabled])).toEqual([
      [a, true],
      [b, true],
    ]);
    expect(started.body).not.toContain(SECRET);
    expect((await stored(a)).isEnabled).toBe(true);
    expect((await stored(b)).isEnabled).toBe(true);

    const stopped = ZChannelBulkResult.parse(
      (
        await s.inject({
          method: "POST",
          url: `${BASE}/bulk`,
          headers: admin,
          payload: { ids: [a, b], action: "stop" },
        })
      ).json(),
    );
    expect(stopped).toMatchObject({ updated: 2, missing: [] });
    expect(stopped.accounts.every((x) => !x.is_enabled)).toBe(true);
    expect((await stored(a)).isEnabled).toBe(false);

    const unknown = await s.inject({
      method: "POST",
      url: `${BASE}/bulk/`,
      headers: admin,
      payload: { ids: [2147483002], action: "stop" },
    });
    expect(unknown.statusCode).toBe(200);
    expect(unknown.json()).toEqual({ updated: 0, missing: [2147483002], accounts: [] });
  });

  it("refuses bad bodies with 400 validation.invalid and changes nothing", async () => {
    const id = await addAccount();
    const before = await switches();
    const tooMany = Array.from({ length: CHANNEL_BULK_MAX + 1 }, (_, i) => id + i);
    for (const payload of [
      { ids: [], action: "start" },
      { ids: tooMany, action: "start" },
      { ids: [id], action: "restart" },
      { ids: [id], action: "start", force: true },
      { ids: [id] },
      { action: "start" },
      { ids: ["x"], action: "start" },
      { ids: [0], action: "start" },
      { ids: [1.5], action: "start" },
      { ids: id, action: "start" },
      [id],
    ]) {
      const res = await s.inject({ method: "POST", url: `${BASE}/bulk/`, headers: admin, payload });
      expect(res.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400);
      expect(res.json().error.code).toBe("validation.invalid");
    }
    const empty = await s.inject({ method: "POST", url: `${BASE}/bulk/`, headers: admin });
    expect(empty.statusCode).toBe(400);
    expect(await switches()).toBe(before);
  });

  it("takes exactly the most ids allowed", async () => {
    const id = await addAccount();
    const ids = Array.from({ length: CHANNEL_BULK_MAX }, (_, i) => 2147483647 - i);
    ids[0] = id;
    const res = await s.inject({
      method: "POST",
      url: `${BASE}/bulk/`,
      headers: admin,
      payload: { ids, action: "start" },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ updated: 1 });
    expect(res.json().missing).toHaveLength(CHANNEL_BULK_MAX - 1);
    // Leave it stopped: the runtime test below counts what it runs.
    await s.inject({ method: "POST", url: `${BASE}/${id}/stop/`, headers: admin });
  });
});

describe("#channels.accounts permissions", () => {
  it("refuses operators, executors and requesters on every route (403) and anonymous callers (401)", async () => {
    const id = await addAccount();
    const routes = [
      { method: "GET", url: `${BASE}/` },
      { method: "GET", url: `${BASE}/?kind=apitest` },
      { method: "GET", url: `${BASE}/${id}/` },
      { method: "POST", url: `${BASE}/${id}/start/` },
      { method: "POST", url: `${BASE}/${id}/stop/` },
      { method: "POST", url: `${BASE}/bulk/`, payload: { ids: [id], action: "start" } },
    ] as const;
    const before = await switches();
    for (const role of ["operator", "executor", "requester"] as const) {
      const { headers } = await s.actor(role);
      for (const route of routes) {
        const res = await s.inject({ ...route, headers });
        expect(res.statusCode, `${role} ${route.method} ${route.url}`).toBe(403);
        expect(res.json()).toEqual({ error: { code: "auth.forbidden", message: expect.any(String) } });
      }
    }
    for (const route of routes) {
      const res = await s.inject({ ...route });
      expect(res.statusCode, `anonymous ${route.method} ${route.url}`).toBe(401);
      expect(res.json().error.code).toBe("auth.unauthenticated");
    }
    // Not even a refused caller learns whether an account exists.
    const { headers } = await s.actor("operator");
    const unknown = await s.inject({ method: "GET", url: `${BASE}/2147483000/`, headers });
    expect(unknown.statusCode).toBe(403);
    expect(await switches()).toBe(before);
  });
});

describe("#channels.accounts with the channel runtime", () => {
  it("a started account is picked up by the runtime and a stopped one released", async () => {
    // Test accounts earlier tests left enabled are stopped first: this test counts receivers.
    await s.ctx.db
      .update(channelAccounts)
      .set({ isEnabled: false, leaseOwner: null, leaseUntil: null, state: "stopped" })
      .where(eq(channelAccounts.kind, "apitest"));
    const a = await addAccount({ name: "Runtime A" });
    const b = await addAccount({ name: "Runtime B" });
    // Only the test driver: accounts of other channels are not this test's to run.
    const runtime = startChannelRuntime(s.ctx, createChannelRegistry([testDriver]), {
      owner: "worker-api",
      leaseMs: 1500,
      scanMs: 150,
      backoffInitialMs: 200,
      backoffMaxMs: 800,
    });
    runtimes.push(runtime);
    await new Promise((r) => setTimeout(r, 400));
    expect(reading.size).toBe(0);

    await s.inject({ method: "POST", url: `${BASE}/${a}/start/`, headers: admin });
    await untilTrue(async () => reading.has(a) && (await stored(a)).state === "running");
    const shown = await s.inject({ method: "GET", url: `${BASE}/${a}/`, headers: admin });
    expect(shown.json()).toMatchObject({ state: "running", lease_owner: "worker-api", is_enabled: true });
    expect(shown.json().last_activity_at).not.toBeNull();
    expect(reading.has(b)).toBe(false);

    await s.inject({
      method: "POST",
      url: `${BASE}/bulk/`,
      headers: admin,
      payload: { ids: [a, b], action: "start" },
    });
    await untilTrue(async () => reading.has(b) && (await stored(b)).state === "running");
    expect(runtime.running().sort((x, y) => x - y)).toEqual([a, b].sort((x, y) => x - y));

    await s.inject({ method: "POST", url: `${BASE}/${a}/stop/`, headers: admin });
    await untilTrue(async () => !reading.has(a) && (await stored(a)).leaseOwner === null);
    expect(await stored(a)).toMatchObject({ isEnabled: false, state: "stopped" });
    expect(reading.has(b)).toBe(true);

    await s.inject({
      method: "POST",
      url: `${BASE}/bulk/`,
      headers: admin,
      payload: { ids: [a, b], action: "stop" },
    });
    await untilTrue(async () => reading.size === 0 && (await stored(b)).leaseOwner === null);
    expect(await stored(b)).toMatchObject({ isEnabled: false, state: "stopped" });
    const list = ZChannelAccountList.parse(
      (await s.inject({ method: "GET", url: `${BASE}/?kind=apitest`, headers: admin })).json(),
    );
    expect(list.results.filter((x) => x.id === a || x.id === b).map((x) => x.state)).toEqual([
      "stopped",
      "stopped",
    ]);
  });
});
