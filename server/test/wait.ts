/**
 * Reads until `ok` holds or `ms` pass, and answers the last value read (the test's assertions
 * then say what was wrong). For things that happen a moment later: a job, a socket, a receiver.
 */
export async function until<T>(
  read: () => Promise<T> | T,
  ok: (value: T) => boolean,
  ms = 10_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until `check` holds; throws "timed out" after `ms`. */
export async function untilTrue(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  if (!(await until(check, (v) => v, ms))) throw new Error("timed out");
}

/** Reads until `ok` holds and answers that value; throws with the last value read after `ms`. */
export async function waitFor<T>(
  read: () => Promise<T> | T,
  ok: (value: T) => boolean,
  ms = 10_000,
): Promise<T> {
  const value = await until(read, ok, ms);
  if (!ok(value)) throw new Error(`timed out; last value: ${JSON.stringify(value)}`);
  return value;
}
