import type { TDomainEvent, TDomainEventType } from "@helpdesk/contracts";
import type { Logger } from "pino";
import type { EventBus } from "./bus.js";

/**
 * Something that reacts to committed domain events: real time, notifications, caches, and
 * later conversations, SLA, webhooks and Redmine. Each is registered with the registry in
 * `ctx.processors`; they never call each other.
 */
export type Processor = {
  name: string;
  /** The event types it handles, or "*" for all. */
  events: readonly TDomainEventType[] | "*";
  /**
   * `every_instance`: each server process handles each event, whoever published it (sockets
   * and caches are per process). `once`: only the process that published it (queueing durable
   * jobs, which must happen once per event however many instances run).
   */
  delivery: "every_instance" | "once";
  /**
   * Queues what must be done (a job) and returns; a short asynchronous step before that (one
   * query) may be returned as a promise. A throw or a rejection is logged and skipped.
   */
  handle(event: TDomainEvent): void | Promise<void>;
};

/** Processor steps still running in this process (tests wait for them). */
const inFlight = new Set<Promise<void>>();

/** Resolves when no processor step started in this process is still running. */
export async function waitForProcessorsIdle(): Promise<void> {
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
}

/** The one place processors are registered; each is subscribed to the bus as it is added. */
export type ProcessorRegistry = {
  /** Adds a processor; returns a function that removes it. */
  register(processor: Processor): () => void;
  names(): string[];
  /** Removes them all (shutdown). */
  stop(): void;
};

export function createProcessorRegistry(bus: EventBus, logger: Pick<Logger, "error">): ProcessorRegistry {
  const active = new Map<Processor, () => void>();
  return {
    register(processor) {
      if ([...active.keys()].some((p) => p.name === processor.name)) {
        throw new Error(`A processor named ${processor.name} is already registered`);
      }
      const wanted = processor.events === "*" ? null : new Set<string>(processor.events);
      const handler = (event: TDomainEvent) => {
        if (wanted && !wanted.has(event.type)) return;
        const failed = (error: unknown) =>
          logger.error({ err: error, processor: processor.name, event: event.type }, "processor failed");
        try {
          const step = processor.handle(event);
          if (step) {
            const tracked = step.catch(failed);
            inFlight.add(tracked);
            void tracked.finally(() => inFlight.delete(tracked));
          }
        } catch (error) {
          failed(error);
        }
      };
      const unsubscribe = processor.delivery === "once" ? bus.subscribeOwn(handler) : bus.subscribe(handler);
      active.set(processor, unsubscribe);
      return () => {
        active.get(processor)?.();
        active.delete(processor);
      };
    },
    names: () => [...active.keys()].map((p) => p.name),
    stop() {
      for (const unsubscribe of active.values()) unsubscribe();
      active.clear();
    },
  };
}
