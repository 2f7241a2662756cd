import { afterAll, describe, expect, it } from "vitest";
import { createLocalBus, createRedisBus, type EventBus, type TDomainEvent } from "../../src/platform/bus.js";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const buses: EventBus[] = [];
afterAll(async () => {
  for (const b of buses) await b.close();
});

const event = (type: string): TDomainEvent => ({ type, at: new Date().toISOString() }) as TDomainEvent;
const until = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
};

describe("event bus", () => {
  it("in-process: subscribers and own-subscribers both get a publish", () => {
    const bus = createLocalBus();
    buses.push(bus);
    const all: string[] = [];
    const own: string[] = [];
    bus.subscribe((e) => all.push(e.type));
    bus.subscribeOwn((e) => own.push(e.type));
    bus.publish(event("ticket.created"));
    expect(all).toEqual(["ticket.created"]);
    expect(own).toEqual(["ticket.created"]);
  });

  it("over Redis: every instance sees every event once; only the publisher sees it as its own", async () => {
    const a = await createRedisBus(REDIS_URL);
    const b = await createRedisBus(REDIS_URL);
    buses.push(a, b);
    const seen = { a: [] as string[], b: [] as string[], ownA: [] as string[], ownB: [] as string[] };
    a.subscribe((e) => seen.a.push(e.type));
    b.subscribe((e) => seen.b.push(e.type));
    a.subscribeOwn((e) => seen.ownA.push(e.type));
    b.subscribeOwn((e) => seen.ownB.push(e.type));
    a.publish(event("ticket.created"));
    await until(() => seen.a.length === 1 && seen.b.length === 1);
    expect(seen).toEqual({
      a: ["ticket.created"],
      b: ["ticket.created"],
      ownA: ["ticket.created"],
      ownB: [],
    });
  });
});
