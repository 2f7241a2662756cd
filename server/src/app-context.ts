import type { Logger } from "pino";
import type { ChannelRegistry } from "./channels/channel-registry.js";
import type { AuthGuard } from "./modules/auth/auth.guard.js";
import type { SignInThrottle } from "./modules/auth/auth.throttle.js";
import type { TokenService } from "./modules/auth/auth.tokens.js";
import type { CatalogCache } from "./modules/catalog/catalog.cache.js";
import type { SettingsService } from "./modules/catalog/settings.service.js";
import type { TInboundAutomation } from "./modules/conversations/conversations.inbound.js";
import type { EventBus } from "./platform/bus.js";
import type { TConfig } from "./platform/config.js";
import type { Database, Db } from "./platform/db/index.js";
import type { JobRunner } from "./platform/jobs.js";
import type { ProcessorRegistry } from "./platform/processors.js";
import type { FileStorage } from "./platform/storage.js";

/** What route plugins, use-cases and jobs get: the process's parts, passed explicitly. */
export type AppContext = {
  config: TConfig;
  logger: Logger;
  database: Database;
  db: Db;
  bus: EventBus;
  /** What reacts to committed events: real time, notifications, caches (see platform/processors). */
  processors: ProcessorRegistry;
  /** The channel drivers (e-mail, and the channels after it), by name. */
  channels: ChannelRegistry;
  /** What decides about an inbound message before it is routed (the rules bot plugs in here). */
  automations: readonly TInboundAutomation[];
  storage: FileStorage;
  jobs: JobRunner;
  tokens: TokenService;
  auth: AuthGuard;
  throttle: SignInThrottle;
  settings: SettingsService;
  catalog: CatalogCache;
};
