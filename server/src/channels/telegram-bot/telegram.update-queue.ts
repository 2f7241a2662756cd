import type { Update } from "grammy/types";
import type { AppContext } from "../../app-context.js";
import type { EventBus, TEphemeralEvent } from "../../platform/bus.js";
import { isDatabaseUnavailableError } from "../../platform/db-availability-errors.js";
import { describeTelegramError } from "./telegram.api.js";
import { MAX_UPDATE_TRIES, processBotUpdate, type TBotSession } from "./telegram.updates.js";
import {
  deleteOldUpdates,
  findPendingUpdates,
  markUpdatesDone,
  recordUpdateFailure,
  type TStoredUpdateRow,
} from "./telegram.webhook.repository.js";

/** Chats of one bot worked on at once; each chat's updates go one after another. */
export const CHATS_AT_ONCE = 8;
/**
 * Telegram pushes up to 40 updates at once over parallel connections, so two of one chat (an
 * album, two quick messages) may be stored in either order. An update is taken only once it is
 * this old: an earlier one of its chat stored a moment later is then seen, and goes first.
 */
export const SETTLE_MS = 100;
/**
 * While nothing wakes it, the queue looks at the table this often: the fallback for a wake-up
 * that did not arrive (the web role in another process without Redis, Redis down).
 */
const IDLE_LOOK_MS = 1000;
/** A wake-up storm reads the table at most this often. */
const LOOK_GAP_MS = 20;
/** Updates read per look, beyond those already in hand. */
const LOOK_BATCH = 200;
/** Updates one chat handles in a turn before a waiting chat gets its slot. */
const CHAT_TURN = 20;
/** Handled updates are marked done together: at this many, or after this long. */
const DONE_FLUSH_COUNT = 100;
const DONE_FLUSH_MS = 50;
/** A failed try is repeated after 1 s, then 2 s (MAX_UPDATE_TRIES counts the tries). */
const RETRY_BASE_MS = 1000;
/** Handled updates are kept this many days (to read what came in), then deleted. */
export const KEEP_HANDLED_DAYS = 7;
const CLEANUP_FIRST_MS = 60_000;
const CLEANUP_EVERY_MS = 6 * 3600_000;
const CLEANUP_BATCH = 1000;

/** The bus signal of "an update of this bot was stored". Never persisted. */
const STORED_EVENT = "telegram.update_stored";

/** Receivers waiting in this process, per bus (one per server) and bot account. */
const waiting = new WeakMap<EventBus, Map<number, Set<() => void>>>();

/**
 * Tells the bot's receiver that an update was stored: at once when it runs in this process, and
 * through the bus in the others (Redis fans it out; the local bus is this process only).
 */
export function wakeStoredUpdates(ctx: Pick<AppContext, "bus">, accountId: number) {
  for (const wake of waiting.get(ctx.bus)?.get(accountId) ?? []) wake();
  ctx.bus.publishEphemeral({ type: STORED_EVENT, data: { account_id: accountId } });
}

/** Calls `onStored` whenever an update of the account is stored (any process); returns the unsubscribe. */
function listenForStoredUpdates(ctx: Pick<AppContext, "bus">, accountId: number, onStored: () => void) {
  let byAccount = waiting.get(ctx.bus);
  if (!byAccount) {
    byAccount = new Map();
    waiting.set(ctx.bus, byAccount);
  }
  const set = byAccount.get(accountId) ?? new Set();
  set.add(onStored);
  byAccount.set(accountId, set);
  const unsubscribe = ctx.bus.subscribeEphemeral((e: TEphemeralEvent) => {
    if (e.type === STORED_EVENT && e.data.account_id === accountId) onStored();
  });
  return () => {
    unsubscribe();
    set.delete(onStored);
    if (set.size === 0) byAccount.delete(accountId);
  };
}

/** One stored update in hand. */
type TQueued = TStoredUpdateRow & { readyAt: number };
/** One chat's updates in hand, by update id. */
type TChat = { key: string; updates: TQueued[]; isRunning: boolean };

/** A wait that ends early when notified (or aborted). */
function createWakeup() {
  let isNotified = false;
  let end: (() => void) | undefined;
  return {
    notify() {
      isNotified = true;
      end?.();
    },
    wait(ms: number, signal: AbortSignal) {
      if (isNotified || signal.aborted || ms <= 0) {
        isNotified = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          end = undefined;
          isNotified = false;
          resolve();
        };
        const timer = setTimeout(done, ms);
        signal.addEventListener("abort", done, { once: true });
        end = done;
      });
    },
  };
}

/**
 * Works off the updates the webhook stored for this bot, until the session's signal aborts:
 * in update-id order within a chat, up to CHATS_AT_ONCE chats at a time. Each is handed to
 * processBotUpdate with its try number; handled ones are marked done, a failed try is kept
 * pending with its error and repeated after a short wait, and one that threw even on its last
 * try is marked failed. Pending rows left by a crash are simply found again. Woken by the
 * webhook route (wakeStoredUpdates), and looks by itself every second as the fallback. Now and
 * then deletes handled rows older than KEEP_HANDLED_DAYS. Throws on a database outage (the
 * runtime restarts the receiver), after the chats in progress have stopped.
 */
export async function processStoredUpdates(session: TBotSession, touch: () => void): Promise<void> {
  const { ctx, account, signal } = session;
  const chats = new Map<string, TChat>();
  /** Rows in hand: queued, in progress, or handled and not yet marked done. */
  const inHand = new Set<number>();
  const inProgress = new Set<Promise<void>>();
  let handled: number[] = [];
  let running = 0;
  let fatal: { error: unknown } | undefined;
  let wantsLook = true;
  let lastLook = Number.NEGATIVE_INFINITY;
  let lastFlush = Date.now();
  let nextCleanup = Date.now() + CLEANUP_FIRST_MS;
  const wakeup = createWakeup();
  const stopListening = listenForStoredUpdates(ctx, account.id, () => {
    wantsLook = true;
    wakeup.notify();
  });
  const isStopping = () => signal.aborted || fatal !== undefined;
  const queuedCount = () => [...chats.values()].reduce((n, c) => n + c.updates.length, 0);

  /** Reads pending rows not in hand yet into their chats. */
  const look = async () => {
    lastLook = Date.now();
    wantsLook = false;
    const rows = await findPendingUpdates(ctx.db, account.id, inHand.size + LOOK_BATCH);
    const now = Date.now();
    for (const row of rows) {
      if (inHand.has(row.id)) continue;
      inHand.add(row.id);
      // Updates without a chat have no order to keep: each is a chat of its own.
      const key = row.chatId === null ? `update:${row.updateId}` : String(row.chatId);
      let chat = chats.get(key);
      if (!chat) {
        chat = { key, updates: [], isRunning: false };
        chats.set(key, chat);
      }
      const queued = { ...row, readyAt: now + Math.max(0, SETTLE_MS - row.ageMs) };
      const at = chat.updates.findIndex((u) => u.updateId > row.updateId);
      chat.updates.splice(at === -1 ? chat.updates.length : at, 0, queued);
    }
  };

  /** One try of one update: whether it is out of the way ("done") or waits for a retry. */
  const tryUpdate = async (u: TQueued): Promise<"done" | "retry"> => {
    const attempt = u.tries + 1;
    try {
      await processBotUpdate(session, u.payload as Update, attempt);
    } catch (error) {
      if (signal.aborted) return "retry";
      if (isDatabaseUnavailableError(error)) throw error;
      const reason = describeTelegramError(error);
      u.tries = attempt;
      const log = { accountId: account.id, updateId: u.updateId, attempt, err: reason };
      if (attempt >= MAX_UPDATE_TRIES) {
        ctx.logger.error(log, "Telegram stored update failed on its last try; marked failed");
        await recordUpdateFailure(ctx.db, u.id, { tries: attempt, error: reason, status: "failed" });
        inHand.delete(u.id);
        return "done";
      }
      ctx.logger.warn(log, "Telegram stored update failed; retrying");
      await recordUpdateFailure(ctx.db, u.id, { tries: attempt, error: reason, status: "pending" });
      u.readyAt = Date.now() + RETRY_BASE_MS * 2 ** (attempt - 1);
      return "retry";
    }
    handled.push(u.id);
    touch();
    if (handled.length >= DONE_FLUSH_COUNT) wakeup.notify();
    return "done";
  };

  /** A chat's turn: its ready updates in order, stopping at one that waits for a retry. */
  const runChat = (chat: TChat) => {
    chat.isRunning = true;
    running += 1;
    const turn = (async () => {
      for (let n = 0; n < CHAT_TURN && !isStopping(); n++) {
        const next = chat.updates[0];
        if (!next || next.readyAt > Date.now()) break;
        if ((await tryUpdate(next)) === "retry") break;
        // By identity: a look may have put an earlier update of the chat in front meanwhile.
        chat.updates.splice(chat.updates.indexOf(next), 1);
      }
    })()
      .catch((error: unknown) => {
        fatal ??= { error };
      })
      .finally(() => {
        chat.isRunning = false;
        running -= 1;
        inProgress.delete(turn);
        // To the back of the line: chats that waited go first.
        chats.delete(chat.key);
        if (chat.updates.length > 0) chats.set(chat.key, chat);
        wakeup.notify();
      });
    inProgress.add(turn);
  };

  /** Starts the chats whose next update is ready, while slots are free; answers when the next one is. */
  const dispatch = (): number => {
    const now = Date.now();
    let nextReady = Number.POSITIVE_INFINITY;
    for (const chat of [...chats.values()]) {
      if (chat.isRunning) continue;
      const head = chat.updates[0];
      if (!head) {
        chats.delete(chat.key);
        continue;
      }
      if (head.readyAt > now) nextReady = Math.min(nextReady, head.readyAt);
      else if (running < CHATS_AT_ONCE) runChat(chat);
    }
    return nextReady;
  };

  const flushHandled = async () => {
    lastFlush = Date.now();
    if (handled.length === 0) return;
    const ids = handled;
    handled = [];
    await markUpdatesDone(ctx.db, ids);
    for (const id of ids) inHand.delete(id);
  };

  const cleanUp = async () => {
    nextCleanup = Date.now() + CLEANUP_EVERY_MS;
    let deleted = 0;
    for (;;) {
      const n = await deleteOldUpdates(ctx.db, account.id, KEEP_HANDLED_DAYS, CLEANUP_BATCH);
      deleted += n;
      if (n < CLEANUP_BATCH || isStopping()) break;
    }
    if (deleted > 0) ctx.logger.info({ accountId: account.id, deleted }, "old Telegram updates deleted");
  };

  try {
    while (!isStopping()) {
      const now = Date.now();
      const isLookDue = now - lastLook >= IDLE_LOOK_MS || (wantsLook && now - lastLook >= LOOK_GAP_MS);
      if (isLookDue && queuedCount() < LOOK_BATCH) await look();
      const nextReady = dispatch();
      if (handled.length >= DONE_FLUSH_COUNT || (handled.length > 0 && now - lastFlush >= DONE_FLUSH_MS))
        await flushHandled();
      if (now >= nextCleanup) await cleanUp();
      // With enough in hand, the next look waits for chats to finish (they notify).
      const canLook = queuedCount() < LOOK_BATCH;
      const until = Math.min(
        canLook ? lastLook + (wantsLook ? LOOK_GAP_MS : IDLE_LOOK_MS) : Number.POSITIVE_INFINITY,
        nextReady,
        handled.length > 0 ? lastFlush + DONE_FLUSH_MS : Number.POSITIVE_INFINITY,
      );
      await wakeup.wait(Math.min(until - Date.now(), IDLE_LOOK_MS), signal);
    }
  } catch (error) {
    fatal ??= { error };
  } finally {
    stopListening();
    await Promise.allSettled([...inProgress]);
    // What was handled is kept; if this fails too (the database is down) it is handled again,
    // harmlessly: processBotUpdate makes a repeat a no-op.
    await flushHandled().catch((error: unknown) =>
      ctx.logger.warn({ accountId: account.id, err: error }, "Telegram updates not marked done"),
    );
  }
  if (fatal && !signal.aborted) throw fatal.error;
}
