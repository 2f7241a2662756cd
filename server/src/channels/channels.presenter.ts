import type { TChannelAccount, TChannelDriverInfo } from "@helpdesk/contracts";
import type { TChannelAccountAdminRow } from "./channel-accounts.repository.js";
import type { ChannelDriver } from "./channel-driver.js";
import type { ChannelRegistry } from "./channel-registry.js";
import { redactAccountConfig } from "./channel-secrets.js";

/**
 * An account as the admin API shows it: secrets never leave, not even sealed. Without its
 * driver nobody knows which fields are secret, so nothing of the config is shown.
 */
export function presentChannelAccount(
  registry: ChannelRegistry,
  a: TChannelAccountAdminRow,
): TChannelAccount {
  const driver = registry.get(a.kind);
  return {
    id: a.id,
    kind: a.kind,
    name: a.name,
    is_enabled: a.isEnabled,
    // An account with nothing to run (the SMTP sender) is running whenever it is started.
    state: driver && !driver.receive ? (a.isEnabled ? "running" : "stopped") : a.state,
    last_error: a.lastError,
    last_error_at: a.lastErrorAt?.toISOString() ?? null,
    last_activity_at: a.lastActivityAt?.toISOString() ?? null,
    failures: a.failures,
    lease_owner: a.leaseOwner,
    lease_until: a.leaseUntil?.toISOString() ?? null,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
    config: driver && isPlainObject(a.config) ? redactAccountConfig(driver, a.config) : {},
  };
}

export const presentChannelDriver = (d: ChannelDriver): TChannelDriverInfo => ({
  name: d.name,
  can_receive: typeof d.receive === "function",
  can_send: typeof d.sendReply === "function",
});

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
