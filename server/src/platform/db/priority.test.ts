import { describe, expect, it } from "vitest";
import { createPriorityGate, isBackground, runAsBackground } from "./priority.js";

const tick = () => new Promise((r) => setTimeout(r, 1));

/** A call that stays open until released, recording when it started. */
function held(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => {
    release = r;
  });
  return {
    fn: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
    },
    release: () => release(),
  };
}

describe("priority gate", () => {
  it("marks work inside runAsBackground, and only there", async () => {
    expect(isBackground()).toBe(false);
    expect(await runAsBackground(async () => isBackground())).toBe(true);
    expect(isBackground()).toBe(false);
  });

  it("lets one background call through at a time when no request is waiting", async () => {
    const gate = createPriorityGate({ graceMs: 0 });
    const log: string[] = [];
    const a = held(log, "a");
    const b = held(log, "b");
    const pa = runAsBackground(() => gate.run(a.fn));
    const pb = runAsBackground(() => gate.run(b.fn));
    await tick();
    expect(log).toEqual(["start a"]);
    a.release();
    await pa;
    await tick();
    expect(log).toEqual(["start a", "end a", "start b"]);
    b.release();
    await pb;
  });

  it("holds background calls back while a request runs, once jobs had their share", async () => {
    const gate = createPriorityGate({ graceMs: 5, share: 0.25 });
    const log: string[] = [];
    const request = held(log, "request");
    const pr = gate.run(request.fn);
    // The first job may take its share of time (20 ms)…
    await runAsBackground(() =>
      gate.run(async () => {
        log.push("job 1");
        await new Promise((r) => setTimeout(r, 20));
      }),
    );
    // …the next waits about three times as long while the request is still running.
    const second = held(log, "job 2");
    const pj = runAsBackground(() => gate.run(second.fn));
    await new Promise((r) => setTimeout(r, 10));
    expect(log).toEqual(["start request", "job 1"]);
    // The request ends: after its grace the job goes at once, not at the end of the cooldown.
    request.release();
    await pr;
    await new Promise((r) => setTimeout(r, 15));
    expect(log).toEqual(["start request", "job 1", "end request", "start job 2"]);
    second.release();
    await pj;
    expect(gate.stats()).toEqual({ interactive: 0, backgroundWaiting: 0, backgroundBusy: false });
  });

  it("still runs background work under constant requests (a share of the time)", async () => {
    const gate = createPriorityGate({ graceMs: 5, share: 0.5 });
    let stop = false;
    // Requests back to back, each 2 ms, for as long as the test runs.
    const requests = (async () => {
      while (!stop) await gate.run(() => new Promise((r) => setTimeout(r, 2)));
    })();
    let jobs = 0;
    const deadline = Date.now() + 300;
    while (Date.now() < deadline) {
      await runAsBackground(() => gate.run(() => new Promise((r) => setTimeout(r, 2))));
      jobs += 1;
    }
    stop = true;
    await requests;
    expect(jobs).toBeGreaterThan(5);
  });
});
