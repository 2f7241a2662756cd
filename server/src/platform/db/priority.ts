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
 * counted while they run). Background calls pass one at a time: at once when no interactive
 * call is running or waiting, otherwise after `interactiveTurns` interactive calls have
 * finished since the last background one, so jobs keep moving under constant load. An
 * interactive query therefore waits behind at most one background statement or transaction,
 * which the jobs keep short. No timers: nothing to clean up.
 */
export function createPriorityGate(options: { interactiveTurns?: number } = {}) {
  const turns = options.interactiveTurns ?? 3;
  let interactive = 0;
  let interactiveDone = 0;
  let backgroundBusy = false;
  const waiting: (() => void)[] = [];

  const pump = () => {
    if (backgroundBusy || waiting.length === 0) return;
    if (interactive > 0 && interactiveDone < turns) return;
    backgroundBusy = true;
    interactiveDone = 0;
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
          interactiveDone += 1;
          pump();
        }
      }
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        pump();
      });
      try {
        return await fn();
      } finally {
        backgroundBusy = false;
        pump();
      }
    },
    /** Calls running and waiting, for tests. */
    stats: () => ({ interactive, backgroundWaiting: waiting.length, backgroundBusy }),
  };
}
