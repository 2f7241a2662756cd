import { type ChannelRuntime, startChannelRuntime } from "../../src/channels/channels.runtime.js";
import type { TTestServer } from "../helpers.js";

/**
 * A worker process's channel runtime for the Telegram tests: short leases, scans and backoffs,
 * so starting, stopping and handing a bot over take a fraction of a second.
 */
export const startTestRuntime = (s: TTestServer, owner: string): ChannelRuntime =>
  startChannelRuntime(s.ctx, s.ctx.channels, {
    owner,
    leaseMs: 1500,
    scanMs: 100,
    backoffInitialMs: 200,
    backoffMaxMs: 800,
  });
