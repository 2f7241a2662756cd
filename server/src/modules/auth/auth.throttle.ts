import { sql } from "drizzle-orm";
import { deleteInBatches } from "../../platform/db/batches.js";
import type { Db } from "../../platform/db/index.js";
import { createTooManyAttemptsError } from "./auth.errors.js";

/**
 * How many password checks are allowed. Counters live in the database (`auth_throttle`), so
 * they hold across instances and restarts, and each is taken by one atomic upsert before the
 * password is checked: fifty parallel guesses cannot all slip under a limit of five.
 */
export type TThrottlePolicy = {
  /** One account from one address: a hard limit per window. */
  pair: { max: number; windowSeconds: number };
  /**
   * One account from anywhere: after `freeFailures` in the window, attempts are spaced out
   * (1 s, 2 s, 4 s … up to `maxDelaySeconds`) instead of locking the account, so an attacker
   * slows guessing to a crawl but cannot keep the owner out for longer than the delay.
   */
  account: { freeFailures: number; windowSeconds: number; maxDelaySeconds: number };
  /** One address guessing accounts that do not exist (spraying, enumeration). */
  unknownAccountsPerAddress: { max: number; windowSeconds: number };
  /** Everything from one address: high, because a whole office may sit behind one NAT. */
  perAddress: { max: number; windowSeconds: number };
};

export const DEFAULT_THROTTLE_POLICY: TThrottlePolicy = {
  pair: { max: 5, windowSeconds: 15 * 60 },
  account: { freeFailures: 10, windowSeconds: 60 * 60, maxDelaySeconds: 60 },
  unknownAccountsPerAddress: { max: 30, windowSeconds: 15 * 60 },
  perAddress: { max: 300, windowSeconds: 15 * 60 },
};

/** What is being guessed: the sign-in password (login, API token) or the current password on change. */
export type TThrottleScope = "login" | "password";

/** One reserved attempt: report how it ended. */
export type TThrottleAttempt = {
  /** The password was right: the attempt is given back and the account's pair counter cleared. */
  succeeded(): Promise<void>;
};

export type SignInThrottle = {
  /**
   * Reserves one password check for `account` (null when no such account exists) from
   * `address`, or throws 429 `auth.too_many_attempts` with the real time to wait.
   */
  begin(scope: TThrottleScope, account: string | null, address: string): Promise<TThrottleAttempt>;
  /** Deletes counters whose windows ended a day ago. */
  cleanup(): Promise<number>;
};

type TRow = { hits: number; wait: number };

export function createSignInThrottle(
  db: Db,
  policy: TThrottlePolicy = DEFAULT_THROTTLE_POLICY,
): SignInThrottle {
  /** Counts one hit in a fixed window; returns the hits so far and the seconds until the window ends. */
  const hit = async (key: string, windowSeconds: number): Promise<TRow> => {
    const result = await db.execute<TRow>(sql`
      INSERT INTO auth_throttle AS a (key, hits, window_ends_at, next_at)
      VALUES (${key}, 1, now() + make_interval(secs => ${windowSeconds}), now())
      ON CONFLICT (key) DO UPDATE SET
        hits = CASE WHEN a.window_ends_at <= now() THEN 1 ELSE a.hits + 1 END,
        window_ends_at = CASE WHEN a.window_ends_at <= now() THEN excluded.window_ends_at ELSE a.window_ends_at END
      RETURNING hits, extract(epoch FROM (window_ends_at - now()))::float8 AS wait`);
    const row = result.rows[0]!;
    return { hits: Number(row.hits), wait: Number(row.wait) };
  };

  /** Takes one attempt if the account's slowdown allows it now; otherwise the seconds to wait. */
  const spaced = async (key: string): Promise<number> => {
    const { freeFailures, windowSeconds, maxDelaySeconds } = policy.account;
    // next_at is -infinity until the free failures are used up: "no wait" must not depend on
    // now(), the start of each transaction, which concurrent requests see out of order. The
    // wait is measured with clock_timestamp(), the time the row is actually looked at.
    const taken = await db.execute<{ hits: number }>(sql`
      INSERT INTO auth_throttle AS a (key, hits, window_ends_at, next_at)
      VALUES (${key}, 1, now() + make_interval(secs => ${windowSeconds}), '-infinity')
      ON CONFLICT (key) DO UPDATE SET
        hits = CASE WHEN a.window_ends_at <= now() THEN 1 ELSE a.hits + 1 END,
        window_ends_at = CASE WHEN a.window_ends_at <= now() THEN excluded.window_ends_at ELSE a.window_ends_at END,
        next_at = CASE
          WHEN a.window_ends_at > now() AND a.hits + 1 > ${freeFailures}
            THEN clock_timestamp() + make_interval(secs => least(${maxDelaySeconds}, power(2, a.hits + 1 - ${freeFailures})))
          ELSE '-infinity' END
      WHERE a.next_at <= clock_timestamp() OR a.window_ends_at <= now()
      RETURNING hits`);
    if (taken.rows.length > 0) return 0;
    const result = await db.execute<{ wait: number }>(
      sql`SELECT extract(epoch FROM (next_at - clock_timestamp()))::float8 AS wait FROM auth_throttle WHERE key = ${key} AND next_at > '-infinity'`,
    );
    return Math.max(1, Number(result.rows[0]?.wait ?? 1));
  };

  const refund = async (key: string) => {
    await db.execute(sql`UPDATE auth_throttle SET hits = greatest(hits - 1, 0) WHERE key = ${key}`);
  };
  const refuse = (seconds: number): never => {
    throw createTooManyAttemptsError(Math.max(1, Math.ceil(seconds)));
  };

  return {
    async begin(scope, account, address) {
      const addressKey = `${scope}:ip:${address}`;
      const byAddress = await hit(addressKey, policy.perAddress.windowSeconds);
      if (byAddress.hits > policy.perAddress.max) refuse(byAddress.wait);
      if (account === null) {
        const unknown = await hit(
          `${scope}:ip-unknown:${address}`,
          policy.unknownAccountsPerAddress.windowSeconds,
        );
        if (unknown.hits > policy.unknownAccountsPerAddress.max) refuse(unknown.wait);
        return { succeeded: async () => {} };
      }
      const pairKey = `${scope}:pair:${account}|${address}`;
      const pair = await hit(pairKey, policy.pair.windowSeconds);
      if (pair.hits > policy.pair.max) refuse(pair.wait);
      const accountKey = `${scope}:account:${account}`;
      const wait = await spaced(accountKey);
      if (wait > 0) refuse(wait);
      return {
        async succeeded() {
          await db.execute(sql`DELETE FROM auth_throttle WHERE key = ${pairKey}`);
          await refund(accountKey);
          await refund(addressKey);
        },
      };
    },
    async cleanup() {
      return deleteInBatches(
        db,
        "auth_throttle",
        sql`window_ends_at < now() - interval '1 day' AND next_at < now()`,
      );
    },
  };
}
