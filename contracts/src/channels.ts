import { z } from "zod";
import { ZId } from "./schemas.js";

/*
 * The admin API of channel accounts (`/api/admin/channels/accounts/`): every account of every
 * channel kind, its receiver's state, and starting or stopping it. Creating, changing and
 * removing accounts belongs to each channel's own admin screens.
 */

/** What an account's receiver is doing (`channel_accounts.state`, written by the channel runtime). */
export const CHANNEL_ACCOUNT_STATES = ["stopped", "running", "backoff", "error"] as const;
export type TChannelAccountState = (typeof CHANNEL_ACCOUNT_STATES)[number];

/** What the admin can do to many accounts at once. */
export const CHANNEL_ACCOUNT_ACTIONS = ["start", "stop"] as const;
export type TChannelAccountAction = (typeof CHANNEL_ACCOUNT_ACTIONS)[number];

/** Most accounts one bulk request may name. */
export const CHANNEL_BULK_MAX = 200 as const;

const ZIsoDate = z.string();

/** A channel account as the admin API shows it: config with its secret fields redacted. */
export const ZChannelAccount = z.strictObject({
  id: z.number(),
  /** The channel driver's name (`email`, `telegram`, …). */
  kind: z.string(),
  name: z.string(),
  is_enabled: z.boolean(),
  state: z.enum(CHANNEL_ACCOUNT_STATES),
  last_error: z.string().nullable(),
  last_error_at: ZIsoDate.nullable(),
  last_activity_at: ZIsoDate.nullable(),
  /** Consecutive receiver crashes. */
  failures: z.number(),
  /** The worker process reading the account, until `lease_until`. */
  lease_owner: z.string().nullable(),
  lease_until: ZIsoDate.nullable(),
  created_at: ZIsoDate,
  updated_at: ZIsoDate,
  /**
   * The stored config; secret fields are `"********"` when set and `""` when not. Empty when
   * the account's kind has no registered driver (which fields are secret is not known).
   */
  config: z.record(z.string(), z.unknown()),
});
export type TChannelAccount = z.infer<typeof ZChannelAccount>;

/** A registered channel driver and what it can do. */
export const ZChannelDriverInfo = z.strictObject({
  name: z.string(),
  /** Has a receiver: its accounts are read by the channel runtime and can be started or stopped. */
  can_receive: z.boolean(),
  /** Sends staff replies to customers. */
  can_send: z.boolean(),
});
export type TChannelDriverInfo = z.infer<typeof ZChannelDriverInfo>;

export const ZChannelAccountList = z.strictObject({
  results: z.array(ZChannelAccount),
  drivers: z.array(ZChannelDriverInfo),
});
export type TChannelAccountList = z.infer<typeof ZChannelAccountList>;

/** `POST /api/admin/channels/accounts/bulk/`: repeated ids count once. */
export const ZChannelBulkRequest = z.strictObject({
  ids: z.array(ZId).min(1).max(CHANNEL_BULK_MAX),
  action: z.enum(CHANNEL_ACCOUNT_ACTIONS),
});
export type TChannelBulkRequest = z.infer<typeof ZChannelBulkRequest>;

export const ZChannelBulkResult = z.strictObject({
  /** Accounts the action was applied to. */
  updated: z.number(),
  /** Requested ids with no account (not an error). */
  missing: z.array(z.number()),
  accounts: z.array(ZChannelAccount),
});
export type TChannelBulkResult = z.infer<typeof ZChannelBulkResult>;
