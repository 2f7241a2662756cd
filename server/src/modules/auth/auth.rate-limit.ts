/**
 * Counts failed sign-ins per (IP, e-mail) and per IP in memory; after too many failures in the
 * window the next attempts get 429 until the window passes. A success clears the pair.
 */
export function createLoginLimiter(options = { maxPerPair: 5, maxPerIp: 30, windowMs: 15 * 60 * 1000 }) {
  const failures = new Map<string, { count: number; resetAt: number }>();
  const get = (key: string, now: number) => {
    const entry = failures.get(key);
    if (!entry || entry.resetAt <= now) return undefined;
    return entry;
  };
  const bump = (key: string, now: number) => {
    const entry = get(key, now) ?? { count: 0, resetAt: now + options.windowMs };
    entry.count += 1;
    failures.set(key, entry);
  };
  return {
    /** Seconds to wait, or 0 when the attempt may proceed. */
    check(ip: string, email: string, now = Date.now()): number {
      if (failures.size > 100_000) {
        for (const [k, v] of failures) if (v.resetAt <= now) failures.delete(k);
      }
      const pair = get(`${ip}|${email}`, now);
      const byIp = get(ip, now);
      const blocked = [
        pair && pair.count >= options.maxPerPair ? pair : undefined,
        byIp && byIp.count >= options.maxPerIp ? byIp : undefined,
      ].filter((x) => x !== undefined);
      if (blocked.length === 0) return 0;
      return Math.ceil((Math.max(...blocked.map((b) => b.resetAt)) - now) / 1000);
    },
    recordFailure(ip: string, email: string, now = Date.now()) {
      bump(`${ip}|${email}`, now);
      bump(ip, now);
    },
    recordSuccess(ip: string, email: string) {
      failures.delete(`${ip}|${email}`);
    },
  };
}
export type LoginLimiter = ReturnType<typeof createLoginLimiter>;
