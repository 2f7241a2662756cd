import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Background work (job handlers, pg-boss's own statements) runs inside `runAsBackground`;
 * everything else — HTTP requests above all — is interactive. On PostgreSQL this changes
 * nothing. The embedded database has one connection, and there the gate below lets
 * interactive queries go first.
 */
const background = new AsyncLocalStorage<true>();

/** Runs `fn` (and everything it awaits) as background work. */
export const runAsBackground = <T>(fn: () => Promise<T>): Promise<T> => background.run(true, fn);

/** Whether the caller runs inside `runAsBackground`. */
export const isBackground = (): boolean => background.getStore() === true;

/**
 * A priority gate in front of one serial connection. Interactive calls pass at once (and are
 * counted while they run). Background calls pass one at a time, so a request waits behind at
 * most one background statement or transaction (which the jobs keep short):
 * - freely while no request is using the connection (none running, and none in the last
 *   `graceMs`: a request's next query follows soon after its previous one);
 * - otherwise only while background work has had less than `share` of the time: after a
 *   background call of d ms, the next waits d × (1 − share) / share ms unless requests stop.
 * Jobs keep moving under constant load; requests keep most of the connection.
 */
export function createPriorityGate(options: { share?: number; graceMs?: number } = {}) {
  const share = options.share ?? 0.25;
  const graceMs = options.graceMs ?? 10;
  let interactive = 0;
  let lastInteractiveEnd = 0;
  let backgroundBusy = false;
  let cooldownUntil = 0;
  let timer: NodeJS.Timeout | undefined;
  const waiting: (() => void)[] = [];

  let timerAt = Number.POSITIVE_INFINITY;
  const schedule = (at: number) => {
    if (timer && timerAt <= at) return;
    clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(
      () => {
        timer = undefined;
        timerAt = Number.POSITIVE_INFINITY;
        pump();
      },
      Math.max(1, at - performance.now()),
    );
    timer.unref();
  };

  const pump = () => {
    if (backgroundBusy || waiting.length === 0) return;
    const t = performance.now();
    if (interactive > 0) {
      if (t < cooldownUntil) return schedule(cooldownUntil);
    } else if (t - lastInteractiveEnd < graceMs) {
      // Just after a request's query: give its next query a moment to arrive first.
      return schedule(lastInteractiveEnd + graceMs);
    }
    backgroundBusy = true;
    waiting.shift()?.();
  };

  return {
    /** Runs `fn` with the caller's priority. */
    async run<T>(fn: () => Promise<T>): Promise<T> {
      if (!isBackground()) {
        interactive += 1;
        try {
          return await fn();
        } finally {
          interactive -= 1;
          lastInteractiveEnd = performance.now();
          pump();
        }
      }
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        pump();
      });
      const started = performance.now();
      try {
        return await fn();
      } finally {
        const ended = performance.now();
        cooldownUntil = ended + ((ended - started) * (1 - share)) / share;
        backgroundBusy = false;
        pump();
      }
    },
    /** Calls running and waiting, for tests. */
    stats: () => ({ interactive, backgroundWaiting: waiting.length, backgroundBusy }),
  };
}
