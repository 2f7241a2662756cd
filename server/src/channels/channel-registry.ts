import type { ChannelDriver } from "./channel-driver.js";

/** From a channel's name to its driver; the one place drivers are listed (app.ts builds it). */
export type ChannelRegistry = {
  get(name: string): ChannelDriver | undefined;
  list(): ChannelDriver[];
};

export function createChannelRegistry(drivers: readonly ChannelDriver[]): ChannelRegistry {
  const byName = new Map<string, ChannelDriver>();
  for (const driver of drivers) {
    if (byName.has(driver.name)) throw new Error(`Two channel drivers are named ${driver.name}`);
    byName.set(driver.name, driver);
  }
  return { get: (name) => byName.get(name), list: () => [...byName.values()] };
}
