import type { AppContext } from "../app-context.js";
import {
  acquireLease,
  listEnabledAccounts,
  recordFailure,
  recordHealthy,
  recordRunning,
  releaseLease,
  renewLease,
  reportAccountError,
  saveCursor,
  type TChannelAccountRow,
  touchAccount,
} from "./channel-accounts.repository.js";
import type { ChannelDriver } from "./channel-driver.js";
import type { ChannelRegistry } from "./channel-registry.js";
import { openAccountConfig } from "./channel-secrets.js";

export type TChannelRuntimeOptions = {
  /** This worker process's name in `lease_owner` (unique per process). */
  owner: string;
  /** A lease not renewed for this long is free for another worker. */
  leaseMs?: number;
  /** How often accounts are looked at and leases renewed. */
  scanMs?: number;
  /** Restart delays after crashes: initial, doubling up to max. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** A receiver that ran this long without crashing is healthy again (backoff resets). */
  healthyAfterMs?: number;
};

type TRunning = {
  account: TChannelAccountRow;
  abort: AbortController;
  done: Promise<void>;
  startedAt: number;
};

export type ChannelRuntime = {
  /** Accounts whose receiver runs in this process. */
  running(): number[];
  stop(): Promise<void>;
};

/**
 * Runs the receivers of enabled channel accounts in a worker process. Each account is read
 * under a lease row (`lease_owner`, `lease_until`), so two workers never read one account; a
 * worker that dies stops renewing and another takes the account over once the lease expires.
 * A crashed receiver is restarted by its holder with exponential backoff, its reason recorded;
 * a disabled or changed account is stopped (and restarted with the new config) within a tick.
 */
export function startChannelRuntime(
  ctx: AppContext,
  registry: ChannelRegistry,
  options: TChannelRuntimeOptions,
): ChannelRuntime {
  const leaseMs = options.leaseMs ?? 15_000;
  const scanMs = options.scanMs ?? Math.min(2000, Math.floor(leaseMs / 3));
  const backoffInitialMs = options.backoffInitialMs ?? 1000;
  const backoffMaxMs = options.backoffMaxMs ?? 5 * 60_000;
  const healthyAfterMs = options.healthyAfterMs ?? 60_000;
  const { owner } = options;
  const running = new Map<number, TRunning>();
  /**
   * Accounts held in backoff: not restarted before `at`, unless their config changes (the
   * admin fixed it). An unreadable config waits for a change (`at` is infinite).
   */
  const restartAt = new Map<number, { at: number; failures: number; updatedAt: number }>();
  let stopped = false;
  let tick: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const receivers = () => registry.list().filter((d) => d.receive);

  const start = (driver: ChannelDriver, account: TChannelAccountRow) => {
    let config: unknown;
    try {
      config = driver.accountConfig.parse(openAccountConfig(driver, ctx.config.appSecret, account.config));
    } catch (error) {
      // A config that cannot be read will not start until it is changed.
      void recordFailure(ctx.db, account.id, owner, `invalid configuration: ${describe(error)}`, "error");
      restartAt.set(account.id, {
        at: Number.POSITIVE_INFINITY,
        failures: 0,
        updatedAt: account.updatedAt.getTime(),
      });
      return;
    }
    const abort = new AbortController();
    let lastTouch = 0;
    const control = {
      signal: abort.signal,
      touch() {
        const now = Date.now();
        if (now - lastTouch < 5000) return;
        lastTouch = now;
        touchAccount(ctx.db, account.id).catch(() => {});
      },
      saveCursor: (cursor: Record<string, unknown>) => saveCursor(ctx.db, account.id, owner, cursor),
      reportError: (error: string | null) => reportAccountError(ctx.db, account.id, owner, error),
    };
    const entry: TRunning = { account, abort, startedAt: Date.now(), done: Promise.resolve() };
    entry.done = (async () => {
      await recordRunning(ctx.db, account.id, owner).catch(() => {});
      ctx.logger.info({ accountId: account.id, kind: account.kind, owner }, "channel receiver started");
      try {
        await driver.receive!(
          ctx,
          {
            id: account.id,
            kind: account.kind,
            name: account.name,
            config,
            queueId: account.queueId,
            cursor: (account.cursor ?? {}) as Record<string, unknown>,
          },
          control,
        );
        if (!abort.signal.aborted) throw new Error("the receiver stopped on its own");
      } catch (error) {
        if (abort.signal.aborted) return;
        const previous = restartAt.get(account.id)?.failures ?? 0;
        const healthy = Date.now() - entry.startedAt >= healthyAfterMs;
        const failures = healthy ? 1 : previous + 1;
        const delay = Math.min(backoffMaxMs, backoffInitialMs * 2 ** (failures - 1));
        restartAt.set(account.id, {
          at: Date.now() + delay,
          failures,
          updatedAt: account.updatedAt.getTime(),
        });
        ctx.logger.warn(
          { err: error, accountId: account.id, kind: account.kind, delay },
          "channel receiver crashed",
        );
        await recordFailure(ctx.db, account.id, owner, describe(error), "backoff").catch(() => {});
      } finally {
        if (running.get(account.id) === entry) running.delete(account.id);
      }
    })();
    running.set(account.id, entry);
  };

  const stopOne = async (id: number, state: "stopped" | "error" | null) => {
    const entry = running.get(id);
    running.delete(id);
    if (entry) {
      entry.abort.abort();
      await entry.done;
    }
    restartAt.delete(id);
    if (state) await releaseLease(ctx.db, id, owner, state).catch(() => {});
  };

  const scan = async () => {
    const drivers = new Map(receivers().map((d) => [d.name, d]));
    const accounts = await listEnabledAccounts(ctx.db, [...drivers.keys()]);
    const enabled = new Map(accounts.map((a) => [a.id, a]));
    // What this process holds: renew, or stop what was disabled, changed or taken over.
    const held = new Set([...running.keys(), ...restartAt.keys()]);
    for (const id of held) {
      const renewed = await renewLease(ctx.db, id, owner, leaseMs);
      const entry = running.get(id);
      if (!renewed) {
        await stopOne(id, null);
        continue;
      }
      if (!renewed.isEnabled || !enabled.has(id)) {
        await stopOne(id, "stopped");
        continue;
      }
      const seen = entry?.account.updatedAt.getTime();
      if (entry && seen !== renewed.updatedAt.getTime()) {
        await stopOne(id, null);
        continue;
      }
      if (entry && Date.now() - entry.startedAt >= healthyAfterMs && restartAt.has(id)) {
        restartAt.delete(id);
        await recordHealthy(ctx.db, id).catch(() => {});
      }
    }
    // Restart what backed off, and take free accounts.
    for (const account of accounts) {
      if (stopped) return;
      if (running.has(account.id)) continue;
      const wait = restartAt.get(account.id);
      if (wait && Date.now() < wait.at && account.updatedAt.getTime() === wait.updatedAt) continue;
      const taken = await acquireLease(ctx.db, account.id, owner, leaseMs);
      if (!taken) continue;
      start(drivers.get(account.kind)!, taken);
    }
  };

  const loop = () => {
    if (stopped) return;
    tick = tick
      .then(scan)
      .catch((error: unknown) => ctx.logger.warn({ err: error }, "channel runtime: scan failed; retrying"))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, scanMs);
      });
  };
  loop();

  return {
    running: () => [...running.keys()],
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await tick;
      await Promise.all(
        [...new Set([...running.keys(), ...restartAt.keys()])].map((id) => stopOne(id, "stopped")),
      );
    },
  };
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 2000);
