import { EventEmitter } from "node:events";
import type { TDomainEvent } from "@helpdesk/contracts";
import { Redis } from "ioredis";
import type { Logger } from "pino";

export type { TDomainEvent } from "@helpdesk/contracts";

/**
 * The event bus: in-process by default. Subscribers (real-time hub, notifications) react to
 * events after the change is committed; a subscriber's failure never fails the request.
 */
export type EventBus = {
  publish(event: TDomainEvent): void;
  subscribe(handler: (event: TDomainEvent) => void): () => void;
  /**
   * Only the events this process published, delivered in-process whatever the transport:
   * for work that must happen once per event (queueing jobs), not once per instance.
   */
  subscribeOwn(handler: (event: TDomainEvent) => void): () => void;
  /** Short-lived signals (typing, presence) that are never stored; same fan-out as events. */
  publishEphemeral(event: TEphemeralEvent): void;
  subscribeEphemeral(handler: (event: TEphemeralEvent) => void): () => void;
  close(): Promise<void>;
};

/** A signal between real-time hubs: typing, presence. Not a domain event, never persisted. */
export type TEphemeralEvent = { type: string; data: Record<string, unknown> };

export function createLocalBus(): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish: (event) => {
      emitter.emit("own", event);
      emitter.emit("event", event);
    },
    subscribe: (handler) => listen(emitter, "event", handler),
    subscribeOwn: (handler) => listen(emitter, "own", handler),
    publishEphemeral: (event) => {
      emitter.emit("ephemeral", event);
    },
    subscribeEphemeral: (handler) => listen(emitter, "ephemeral", handler),
    close: async () => {
      emitter.removeAllListeners();
    },
  };
}

function listen<T>(emitter: EventEmitter, name: string, handler: (e: T) => void): () => void {
  const safe = (e: T) => {
    try {
      handler(e);
    } catch {
      // A broken subscriber must not stop the others.
    }
  };
  emitter.on(name, safe);
  return () => {
    emitter.off(name, safe);
  };
}

/** The one Redis channel every instance publishes to and listens on. */
export const REDIS_BUS_CHANNEL = "helpdesk:bus";

type TRedisEnvelope = { k: "d"; e: TDomainEvent } | { k: "e"; e: TEphemeralEvent };

/**
 * The bus across instances: every publish goes to one Redis pub/sub channel and every
 * instance, the publisher included, delivers what arrives on it to its local subscribers.
 * So each subscriber sees each event exactly once, whichever instance published it. Redis
 * keeps the order of one publisher's messages. While Redis is unreachable, ioredis queues
 * publishes and resubscribes when it comes back; events in between are not replayed (the
 * WebSocket catch-up reads them from ticket_events).
 */
export async function createRedisBus(
  redisUrl: string,
  options: { logger?: Pick<Logger, "warn" | "error">; readyTimeoutMs?: number } = {},
): Promise<EventBus> {
  const pub = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: null });
  const sub = pub.duplicate();
  const local = new EventEmitter();
  local.setMaxListeners(0);
  let lastError = "";
  const onError = (error: Error) => {
    // ioredis retries on its own; log each distinct failure once, not on every retry.
    if (error.message !== lastError) options.logger?.warn({ err: error }, "redis bus connection problem");
    lastError = error.message;
  };
  pub.on("error", onError);
  sub.on("error", onError);
  sub.on("message", (_channel: string, raw: string) => {
    let envelope: TRedisEnvelope;
    try {
      envelope = JSON.parse(raw) as TRedisEnvelope;
    } catch {
      return;
    }
    if (envelope?.k === "d") local.emit("event", envelope.e);
    else if (envelope?.k === "e") local.emit("ephemeral", envelope.e);
  });
  const subscribed = sub.subscribe(REDIS_BUS_CHANNEL);
  // Start even when Redis is late: ioredis keeps trying and subscribes once it connects.
  const timeout = new Promise<"timeout">((resolve) => {
    setTimeout(() => resolve("timeout"), options.readyTimeoutMs ?? 5000).unref();
  });
  const ready = await Promise.race([subscribed.then(() => "ok" as const), timeout]).catch(
    () => "failed" as const,
  );
  if (ready !== "ok")
    options.logger?.error(
      { redis: ready },
      "redis bus is not subscribed yet; real-time fan-out waits for it",
    );
  subscribed.catch(() => {});

  const send = (envelope: TRedisEnvelope) => {
    pub.publish(REDIS_BUS_CHANNEL, JSON.stringify(envelope)).catch((error: unknown) => {
      options.logger?.error({ err: error }, "redis bus publish failed");
    });
  };
  return {
    publish: (event) => {
      local.emit("own", event);
      send({ k: "d", e: event });
    },
    subscribe: (handler) => listen(local, "event", handler),
    subscribeOwn: (handler) => listen(local, "own", handler),
    publishEphemeral: (event) => send({ k: "e", e: event }),
    subscribeEphemeral: (handler) => listen(local, "ephemeral", handler),
    async close() {
      local.removeAllListeners();
      // A graceful QUIT flushes queued publishes, but must not hang a shutdown when Redis is gone.
      const grace = new Promise((resolve) => setTimeout(resolve, 1000).unref());
      await Promise.race([Promise.allSettled([sub.quit(), pub.quit()]), grace]);
      sub.disconnect();
      pub.disconnect();
    },
  };
}
