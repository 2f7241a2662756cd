import { decryptSecret, encryptSecret } from "../platform/crypto.js";
import type { ChannelDriver } from "./channel-driver.js";

/** Seals a driver's secret fields for storage (the rest of the config is kept as is). */
export function sealAccountConfig(driver: ChannelDriver, appSecret: string, config: Record<string, unknown>) {
  const sealed = { ...config };
  for (const field of driver.secretFields ?? []) {
    const value = sealed[field];
    if (typeof value === "string" && value !== "") sealed[field] = encryptSecret(appSecret, value);
  }
  return sealed;
}

/** Opens the sealed fields of a stored config; throws if APP_SECRET changed or a value was tampered with. */
export function openAccountConfig(driver: ChannelDriver, appSecret: string, stored: unknown) {
  const config = { ...((stored ?? {}) as Record<string, unknown>) };
  for (const field of driver.secretFields ?? []) {
    const value = config[field];
    if (typeof value === "string" && value !== "") config[field] = decryptSecret(appSecret, value);
  }
  return config;
}

/** A config as the API shows it: secrets replaced by whether they are set. */
export function redactAccountConfig(driver: ChannelDriver, stored: unknown) {
  const config = { ...((stored ?? {}) as Record<string, unknown>) };
  for (const field of driver.secretFields ?? []) config[field] = config[field] ? "********" : "";
  return config;
}
