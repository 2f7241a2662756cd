import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineChannelDriver } from "../../src/channels/channel-driver.js";
import { createChannelRegistry } from "../../src/channels/channel-registry.js";
import {
  openAccountConfig,
  redactAccountConfig,
  sealAccountConfig,
} from "../../src/channels/channel-secrets.js";
import { type ChannelRuntime, startChannelRuntime } from "../../src/channels/channels.runtime.js";
import { channelAccounts } from "../../src/platform/db/schema/index.js";
import { startTestServer, type TTestServer } from "../helpers.js";
import { untilTrue } from "../wait.js";

let s: TTestServer;
const runtimes: ChannelRuntime[] = [];
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.stop()));
  await s?.close();
});

/** Which worker reads which account right now, and every start. */
const reading = new Map<number, Set<string>>();
const starts: { account: number; owner: string; token: string }[] = [];
let overlaps = 0;
/** Accounts with token "flaky" crash on their first start only. */
const flaked = new Set<number>();

/** A driver bound to one worker's name, as each process would have its own. */
const driverFor = (worker: string) =>
  defineChannelDriver({
    name: "test",
    accountConfig: z.object({ crash: z.boolean().default(false), token: z.string() }),
    secretFields: ["token"],
    async receive(_ctx, account, control) {
      const config = account.config as { crash: boolean; token: string };
      const set = reading.get(account.id) ?? new Set<string>();
      reading.set(account.id, set);
      if (set.size > 0) overlaps += 1;
      set.add(worker);
      starts.push({ account: account.id, owner: worker, token: config.token });
      try {
        if (config.crash) throw new Error("cannot reach the channel");
        if (config.token === "flaky" && !flaked.has(account.id)) {
          flaked.add(account.id);
          throw new Error("the channel hiccuped");
        }
        control.touch();
        await new Promise<void>((resolve) =>
          control.signal.addEventListener("abort", () => resolve(), { once: true }),
        );
      } finally {
        set.delete(worker);
      }
    },
  });

function runtime(worker: string, backoffMs = 200) {
  const r = startChannelRuntime(s.ctx, createChannelRegistry([driverFor(worker)]), {
    owner: worker,
    leaseMs: 1500,
    scanMs: 150,
    backoffInitialMs: backoffMs,
    backoffMaxMs: Math.max(800, backoffMs),
  });
  runtimes.push(r);
  return r;
}

async function addAccount(config: Record<string, unknown>) {
  const [row] = await s.ctx.db
    .insert(channelAccounts)
    .values({
      kind: "test",
      name: "Test account",
      config: sealAccountConfig(driverFor("x"), s.config.appSecret, config),
    })
    .returning();
  return row!;
}
const account = async (id: number) =>
  (await s.ctx.db.select().from(channelAccounts).where(eq(channelAccounts.id, id)))[0]!;

describe("channel runtime", () => {
  it("seals secrets at rest and never shows them", () => {
    const driver = driverFor("x");
    const sealed = sealAccountConfig(driver, "k".repeat(32), { token: "bot-secret", crash: false });
    expect(JSON.stringify(sealed)).not.toContain("bot-secret");
    expect(openAccountConfig(driver, "k".repeat(32), sealed)).toEqual({ token: "bot-secret", crash: false });
    expect(redactAccountConfig(driver, sealed)).toEqual({ token: "********", crash: false });
    expect(() => openAccountConfig(driver, "other".repeat(8), sealed)).toThrow();
  });

  it("reads an account in one worker at a time and hands it over when that worker stops", async () => {
    const a = await addAccount({ token: "t-1" });
    const first = runtime("worker-a");
    const second = runtime("worker-b");
    await untilTrue(() => (reading.get(a.id)?.size ?? 0) === 1);
    expect(starts.find((x) => x.account === a.id)?.token).toBe("t-1");
    await new Promise((r) => setTimeout(r, 600));
    const holder = [...reading.get(a.id)!][0]!;
    expect((await account(a.id)).leaseOwner).toBe(holder);
    expect((await account(a.id)).state).toBe("running");

    // The holder shuts down (releasing its lease): the other takes over at its next tick.
    const [dying, other] = holder === "worker-a" ? [first, "worker-b"] : [second, "worker-a"];
    await dying.stop();
    await untilTrue(() => reading.get(a.id)?.has(other) === true, 8000);
    expect((await account(a.id)).leaseOwner).toBe(other);
    expect(overlaps).toBe(0);
  });

  it("takes over an account whose holder died without releasing it, once the lease expires", async () => {
    const ghost = await addAccount({ token: "t-ghost" });
    await s.ctx.db
      .update(channelAccounts)
      .set({ leaseOwner: "dead-worker", leaseUntil: new Date(Date.now() + 1500) })
      .where(eq(channelAccounts.id, ghost.id));
    const startedAt = Date.now();
    // The workers of the test before are still running, and may be the one that takes it.
    runtime("worker-e");
    await new Promise((r) => setTimeout(r, 500));
    expect(reading.get(ghost.id)?.size ?? 0).toBe(0);
    await untilTrue(() => (reading.get(ghost.id)?.size ?? 0) === 1, 8000);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1000);
    const taker = [...reading.get(ghost.id)!][0];
    expect((await account(ghost.id)).leaseOwner).toBe(taker);
    expect(overlaps).toBe(0);
  });

  it("restarts a crashing receiver with backoff and shows why; a fixed config runs", async () => {
    const b = await addAccount({ token: "t-2", crash: true });
    runtime("worker-c");
    await untilTrue(async () => (await account(b.id)).failures >= 3);
    const row = await account(b.id);
    expect(row.state).toBe("backoff");
    expect(row.lastError).toBe("cannot reach the channel");
    const times = starts.filter((x) => x.account === b.id);
    expect(times.length).toBeGreaterThanOrEqual(3);

    await s.ctx.db
      .update(channelAccounts)
      .set({
        config: sealAccountConfig(driverFor("x"), s.config.appSecret, { token: "t-3" }),
        updatedAt: new Date(),
      })
      .where(eq(channelAccounts.id, b.id));
    await untilTrue(async () => (await account(b.id)).state === "running");
    await untilTrue(() => starts.some((x) => x.account === b.id && x.token === "t-3"));
  });

  it("retries a crashed account at once when the admin starts it, instead of after its backoff", async () => {
    // The earlier workers (quick backoff) would restart it themselves: only this one runs.
    await Promise.all(runtimes.splice(0).map((r) => r.stop()));
    const f = await addAccount({ token: "flaky" });
    // A minute of backoff: only the admin's "start" can bring it back within this test.
    runtime("worker-f", 60_000);
    await untilTrue(async () => (await account(f.id)).state === "backoff");
    expect((await account(f.id)).lastError).toBe("the channel hiccuped");
    const admin = await s.actor("admin");
    const started = await s.inject({
      method: "POST",
      url: `/api/admin/channels/accounts/${f.id}/start/`,
      headers: admin.headers,
    });
    expect(started.statusCode, started.body).toBe(200);
    await untilTrue(async () => (await account(f.id)).state === "running", 3000);
    expect(starts.filter((x) => x.account === f.id)).toHaveLength(2);
  });

  it("stops a disabled account within a tick and releases it; an unreadable config waits for a fix", async () => {
    const c = await addAccount({ token: "t-4" });
    runtime("worker-d");
    await untilTrue(() => (reading.get(c.id)?.size ?? 0) === 1);
    await s.ctx.db
      .update(channelAccounts)
      .set({ isEnabled: false, updatedAt: new Date() })
      .where(eq(channelAccounts.id, c.id));
    await untilTrue(() => (reading.get(c.id)?.size ?? 0) === 0);
    await untilTrue(async () => (await account(c.id)).leaseOwner === null);
    expect((await account(c.id)).state).toBe("stopped");

    const d = await addAccount({ crash: "not a boolean", token: "t-5" });
    await untilTrue(async () => (await account(d.id)).state === "error");
    expect((await account(d.id)).lastError).toMatch(/^invalid configuration/);
    expect(starts.some((x) => x.account === d.id)).toBe(false);
  });
});
