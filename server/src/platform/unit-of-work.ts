import type { TDomainEvent } from "@helpdesk/contracts";
import type { EventBus } from "./bus.js";
import type { Db, DbOrTx } from "./db/index.js";

/** Records an event of the current unit of work; it is published only if the work commits. */
export type TEmit = (event: TDomainEvent) => void;

export type TUnitOfWorkDeps = { db: Db; bus: EventBus };

/**
 * Runs `work` in one transaction and, once it has committed, publishes the events it emitted,
 * in order. A failed transaction publishes nothing, so no processor ever hears of a change
 * that did not happen; no caller carries events by hand.
 */
export async function withTx<T>(
  deps: TUnitOfWorkDeps,
  work: (tx: DbOrTx, emit: TEmit) => Promise<T>,
): Promise<T> {
  const events: TDomainEvent[] = [];
  const result = await deps.db.transaction((tx) => work(tx, (event) => events.push(event)));
  publishAll(deps.bus, events);
  return result;
}

/**
 * The same for work that is not a database transaction of its own (or spans several): the
 * events are published after `work` resolves, and dropped if it throws.
 */
export async function withEvents<T>(bus: EventBus, work: (emit: TEmit) => Promise<T>): Promise<T> {
  const events: TDomainEvent[] = [];
  const result = await work((event) => events.push(event));
  publishAll(bus, events);
  return result;
}

function publishAll(bus: EventBus, events: TDomainEvent[]) {
  for (const event of events) bus.publish(event);
}
