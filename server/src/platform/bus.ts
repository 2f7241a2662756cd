import { EventEmitter } from "node:events";

/** A domain event published after its transaction commits. */
export type TDomainEvent = {
  type: string;
  ticketId?: number;
  /** The event row id in ticket_events, when there is one. */
  eventId?: number;
  actorId?: number | null;
  data?: Record<string, unknown>;
  at: string;
};

/**
 * The event bus: in-process by default. Subscribers (real-time hub, notifications) react to
 * events after the change is committed; a subscriber's failure never fails the request.
 */
export type EventBus = {
  publish(event: TDomainEvent): void;
  subscribe(handler: (event: TDomainEvent) => void): () => void;
  close(): Promise<void>;
};

export function createLocalBus(): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish: (event) => {
      emitter.emit("event", event);
    },
    subscribe(handler) {
      const safe = (e: TDomainEvent) => {
        try {
          handler(e);
        } catch {
          // A broken subscriber must not stop the others.
        }
      };
      emitter.on("event", safe);
      return () => emitter.off("event", safe);
    },
    close: async () => {
      emitter.removeAllListeners();
    },
  };
}
