import type { TDomainEvent } from "@helpdesk/contracts";
import { describe, expect, it } from "vitest";
import { createLocalBus } from "./bus.js";
import { createProcessorRegistry, waitForProcessorsIdle } from "./processors.js";

const at = new Date().toISOString();
const created: TDomainEvent = { type: "created", ticketId: 1, eventId: 1, actorId: 1, data: {}, at };
const catalog: TDomainEvent = { type: "catalog_changed", at };

describe("processor registry", () => {
  it("hands each processor only the events it asked for", () => {
    const bus = createLocalBus();
    const errors: unknown[] = [];
    const registry = createProcessorRegistry(bus, { error: (e: unknown) => errors.push(e) });
    const tickets: string[] = [];
    const all: string[] = [];
    registry.register({
      name: "t",
      events: ["created"],
      delivery: "once",
      handle: (e) => void tickets.push(e.type),
    });
    registry.register({
      name: "all",
      events: "*",
      delivery: "every_instance",
      handle: (e) => void all.push(e.type),
    });
    bus.publish(created);
    bus.publish(catalog);
    expect(tickets).toEqual(["created"]);
    expect(all).toEqual(["created", "catalog_changed"]);
    expect(registry.names()).toEqual(["t", "all"]);
    expect(errors).toEqual([]);
  });

  it("keeps going when one processor throws, and logs which", () => {
    const bus = createLocalBus();
    const logged: { processor?: string }[] = [];
    const registry = createProcessorRegistry(bus, { error: (o: { processor?: string }) => logged.push(o) });
    const seen: string[] = [];
    registry.register({
      name: "broken",
      events: "*",
      delivery: "once",
      handle: () => {
        throw new Error("boom");
      },
    });
    registry.register({ name: "fine", events: "*", delivery: "once", handle: (e) => void seen.push(e.type) });
    bus.publish(created);
    expect(seen).toEqual(["created"]);
    expect(logged.map((l) => l.processor)).toEqual(["broken"]);
  });

  it("refuses two processors of one name and unsubscribes on removal and stop", () => {
    const bus = createLocalBus();
    const registry = createProcessorRegistry(bus, { error: () => {} });
    const seen: string[] = [];
    const remove = registry.register({
      name: "a",
      events: "*",
      delivery: "once",
      handle: (e) => void seen.push(e.type),
    });
    expect(() => registry.register({ name: "a", events: "*", delivery: "once", handle: () => {} })).toThrow(
      /already registered/,
    );
    remove();
    bus.publish(created);
    registry.register({ name: "b", events: "*", delivery: "once", handle: (e) => void seen.push(e.type) });
    registry.stop();
    bus.publish(created);
    expect(seen).toEqual([]);
    expect(registry.names()).toEqual([]);
  });

  it("tracks a processor's asynchronous step until it ends, and logs a step that fails", async () => {
    const bus = createLocalBus();
    const logged: { processor?: string }[] = [];
    const registry = createProcessorRegistry(bus, { error: (o: { processor?: string }) => logged.push(o) });
    const done: string[] = [];
    const later = (ms: number) => new Promise((r) => setTimeout(r, ms));
    registry.register({
      name: "slow",
      events: "*",
      delivery: "once",
      handle: async (e) => {
        await later(30);
        done.push(e.type);
      },
    });
    registry.register({
      name: "rejects",
      events: "*",
      delivery: "once",
      handle: async () => {
        await later(10);
        throw new Error("boom");
      },
    });
    bus.publish(created);
    expect(done).toEqual([]);
    await waitForProcessorsIdle();
    expect(done).toEqual(["created"]);
    expect(logged.map((l) => l.processor)).toEqual(["rejects"]);
  });
});
