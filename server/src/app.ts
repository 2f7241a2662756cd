import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyCookie from "@fastify/cookie";
import fastifyMultipart from "@fastify/multipart";
import fastifyStatic from "@fastify/static";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import { LIMITS } from "@helpdesk/contracts";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { jsonSchemaTransform, validatorCompiler } from "fastify-type-provider-zod";
import { type Logger, pino } from "pino";
import type { AppContext } from "./app-context.js";
import type { ChannelDriver } from "./channels/channel-driver.js";
import { createChannelRegistry } from "./channels/channel-registry.js";
import { registerChannelAccountRoutes } from "./channels/channels.routes.js";
import { startChannelRuntime } from "./channels/channels.runtime.js";
import { createEmailDriver, smtpSenderDriver } from "./channels/email/email.driver.js";
import { closeTransports } from "./channels/email/email.mailer.js";
import { registerEmailAdminRoutes } from "./channels/email/email.routes.js";
import { registerTelegramAccountRoutes } from "./channels/telegram-accounts/accounts.routes.js";
import { createTelegramBotDriver } from "./channels/telegram-bot/telegram.driver.js";
import { createTelegramUserDriver } from "./channels/telegram-user/telegram-user.driver.js";
import { registerAttachmentRoutes } from "./modules/attachments/attachments.routes.js";
import { createAuthGuard } from "./modules/auth/auth.guard.js";
import { createThrottleCleanupJob } from "./modules/auth/auth.jobs.js";
import { registerAuthRoutes } from "./modules/auth/auth.routes.js";
import { createSignInThrottle } from "./modules/auth/auth.throttle.js";
import { createTokenService } from "./modules/auth/auth.tokens.js";
import { createCatalogCache } from "./modules/catalog/catalog.cache.js";
import { registerCatalogRoutes } from "./modules/catalog/catalog.routes.js";
import { seedReferenceData } from "./modules/catalog/catalog.seed.js";
import { createSettingsService } from "./modules/catalog/settings.service.js";
import { registerContactRoutes } from "./modules/contacts/contacts.routes.js";
import type { TInboundAutomation } from "./modules/conversations/conversations.inbound.js";
import {
  createConversationJobs,
  createConversationsProcessor,
} from "./modules/conversations/conversations.outbound.js";
import { registerConversationRoutes } from "./modules/conversations/conversations.routes.js";
import { createInboxJobs, createInboxProcessor } from "./modules/inbox/inbox.jobs.js";
import { registerInboxRoutes } from "./modules/inbox/inbox.routes.js";
import {
  createNotificationJobs,
  createNotificationProcessor,
} from "./modules/notifications/notifications.jobs.js";
import { registerNotificationRoutes } from "./modules/notifications/notifications.routes.js";
import { registerRealtimeRoutes } from "./modules/realtime/realtime.routes.js";
import { createAnalyzeJob } from "./modules/system/system.jobs.js";
import { registerSystemRoutes, startMetricsListener } from "./modules/system/system.routes.js";
import { registerMessageRoutes } from "./modules/tickets/messages.routes.js";
import { createArchiveSweepJob } from "./modules/tickets/tickets.jobs.js";
import { registerTicketRoutes } from "./modules/tickets/tickets.routes.js";
import { ensureFirstAdmin } from "./modules/users/users.admin.js";
import { registerUserRoutes } from "./modules/users/users.routes.js";
import { createLocalBus, createRedisBus, type TDomainEvent } from "./platform/bus.js";
import { ConfigError, type TConfig } from "./platform/config.js";
import { type Database, openDatabase } from "./platform/db/index.js";
import { isAppError } from "./platform/errors.js";
import {
  handleClientError,
  handleFrameworkError,
  installBodyTimeout,
  installErrorHandling,
} from "./platform/http.js";
import { type JobDefinition, type JobRunner, startJobRunner } from "./platform/jobs.js";
import { httpRequestDuration, setQueueDepthReader } from "./platform/metrics.js";
import { createProcessorRegistry, type Processor } from "./platform/processors.js";
import { installSecurityHeaders } from "./platform/security-headers.js";
import { createLocalStorage } from "./platform/storage.js";

const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../web/dist");

export type TServer = { app: FastifyInstance; ctx: AppContext; close(): Promise<void> };

/**
 * Builds the whole process: database (migrated and seeded), parts, HTTP routes and, for the
 * worker role, the job runner. `jobs: "inline"` runs job handlers only when asked (tests).
 */
export async function createServer(
  config: TConfig,
  options: {
    logger?: Logger;
    database?: Database;
    jobs?: "pg-boss" | "inline";
    /** Channel drivers besides the built-in ones, or instead of one of the same name (tests). */
    drivers?: ChannelDriver[];
    /** What decides about inbound messages before routing (the rules bot; tests). */
    automations?: TInboundAutomation[];
  } = {},
): Promise<TServer> {
  const logger =
    options.logger ??
    pino({ level: config.logLevel, redact: ["req.headers.authorization", "req.headers.cookie"] });
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      pool: config.databasePool,
      onConnectionError: (error) =>
        logger.warn({ err: error }, "database connection lost; the pool opens a new one when needed"),
    }));
  await database.migrate();
  await seedReferenceData(database.db);

  const tokens = createTokenService(config.appSecret);
  const bus = config.redisUrl ? await createRedisBus(config.redisUrl, { logger }) : createLocalBus();
  const ctx: AppContext = {
    config,
    logger,
    database,
    db: database.db,
    bus,
    processors: createProcessorRegistry(bus, logger),
    channels: createChannelRegistry(withBuiltInDrivers(options.drivers ?? [])),
    automations: options.automations ?? [],
    storage: await createLocalStorage(config.dataDir),
    jobs: undefined as unknown as JobRunner,
    tokens,
    auth: createAuthGuard({ executor: database.executor, tokens, trustedOrigins: config.trustedOrigins }),
    throttle: createSignInThrottle(database.db),
    settings: createSettingsService({ db: database.db, envAllowedDomain: config.allowedEmailDomain }),
    catalog: createCatalogCache(database.db),
  };
  if (config.adminEmail && config.adminPassword) {
    const created = await ensureFirstAdmin(ctx.db, {
      email: config.adminEmail,
      password: config.adminPassword,
    }).catch((error: unknown) => {
      const reasons = isAppError(error)
        ? (error.details as { reasons?: string[] } | undefined)?.reasons
        : undefined;
      if (!reasons) throw error;
      throw new ConfigError([`ADMIN_PASSWORD: too weak (${reasons.join(", ")})`]);
    });
    if (created) logger.info({ email: config.adminEmail }, "created the first admin from ADMIN_EMAIL");
  }

  const dropCaches = (event: TDomainEvent) => {
    if (event.type === "access_changed") ctx.auth.forget(event.userId ?? undefined);
    if (event.type === "catalog_changed") ctx.catalog.invalidate();
  };
  const caches: Omit<Processor, "name" | "delivery"> = {
    events: ["access_changed", "catalog_changed"],
    handle: dropCaches,
  };
  // Every instance's changes (through Redis), and this process's own at once: with Redis, the
  // round trip would leave a moment in which the next request still sees the old queue list.
  ctx.processors.register({ ...caches, name: "caches", delivery: "every_instance" });
  ctx.processors.register({ ...caches, name: "caches.own", delivery: "once" });

  const jobDefinitions: JobDefinition[] = [
    createArchiveSweepJob(ctx),
    createThrottleCleanupJob(ctx),
    createAnalyzeJob(ctx),
    ...createNotificationJobs(ctx),
    ...createConversationJobs(ctx),
    ...createInboxJobs(ctx),
  ];
  ctx.jobs =
    options.jobs === "inline"
      ? createInlineJobRunner(jobDefinitions)
      : // Two processes starting on a fresh database must not both create pg-boss's schema.
        await database.serialised(() =>
          startJobRunner({
            executor: database.executor,
            logger,
            jobs: jobDefinitions,
            isWorker: config.services.includes("worker"),
            pollingIntervalMs: config.jobs.pollingIntervalMs,
            maxConcurrency: config.jobs.concurrency,
            listen: database.listen,
          }),
        );
  setQueueDepthReader(() => ctx.jobs.depths());

  ctx.processors.register(createNotificationProcessor(ctx));
  ctx.processors.register(createConversationsProcessor(ctx));
  ctx.processors.register(createInboxProcessor(ctx));
  for (const driver of ctx.channels.list()) await driver.ensureEnvAccount?.(ctx);
  // Channel receivers (IMAP mailboxes, …) run in worker processes, each account under a lease;
  // tests start the runtime themselves.
  const channelRuntime =
    config.services.includes("worker") && options.jobs !== "inline" && !config.isTest
      ? startChannelRuntime(ctx, ctx.channels, {
          owner: `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`,
          leaseMs: config.channelLeaseMs,
        })
      : undefined;

  const app = await buildHttpApp(ctx);
  const metricsListener =
    config.metrics && config.services.includes("web")
      ? await startMetricsListener(config.metrics)
      : undefined;
  return {
    app,
    ctx,
    async close() {
      await app.close();
      await new Promise((resolve) => (metricsListener ? metricsListener.close(resolve) : resolve(undefined)));
      await channelRuntime?.stop();
      // Jobs first: a delivery in flight finishes on its SMTP connection before the pool closes.
      await ctx.jobs.stop();
      closeTransports();
      ctx.processors.stop();
      await ctx.bus.close();
      if (!options.database) await database.close();
    },
  };
}

/** The built-in channel drivers, with any given ones added (or replacing one of the same name). */
function withBuiltInDrivers(given: ChannelDriver[]): ChannelDriver[] {
  const builtIn = [
    createEmailDriver(),
    smtpSenderDriver,
    createTelegramBotDriver(),
    createTelegramUserDriver(),
  ].filter((d) => !given.some((g) => g.name === d.name));
  return [...builtIn, ...given];
}

function createInlineJobRunner(defs: JobDefinition[]): JobRunner {
  const byName = new Map(defs.map((d) => [d.name, d]));
  return {
    async send(name, data) {
      await this.runNow(name, data);
    },
    async sendMany(name, items) {
      // Like a queue: one failing job does not stop the others.
      const failures: unknown[] = [];
      for (const item of items) await this.runNow(name, item.data).catch((e: unknown) => failures.push(e));
      if (failures.length > 0) throw failures[0];
    },
    async runNow(name, data) {
      const def = byName.get(name);
      if (!def) throw new Error(`Unknown job ${name}`);
      await def.handler(def.payload.parse(data ?? {}), { id: "inline" });
    },
    async depths() {
      return [];
    },
    fetchCount: () => 0,
    async stop() {},
  };
}

async function buildHttpApp(ctx: AppContext): Promise<FastifyInstance> {
  const timeouts = ctx.config.timeouts;
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    bodyLimit: LIMITS.jsonBodyMaxBytes,
    // A hop count becomes proxy-addr's "trust the first n hops" function.
    trustProxy:
      typeof ctx.config.trustProxy === "number"
        ? (
            (hops: number) => (_address: string, hop: number) =>
              hop < hops
          )(ctx.config.trustProxy)
        : ctx.config.trustProxy,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Node ends requests whose headers or whole body are too slow (408 through handleClientError);
    // upgraded WebSockets leave the HTTP server and are not touched by these.
    http: {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      // How often Node looks for requests past those timeouts (its default is every 30 s).
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(timeouts.headersMs / 4))),
    },
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    clientErrorHandler: handleClientError,
    frameworkErrors: handleFrameworkError,
  });
  app.setValidatorCompiler(validatorCompiler);
  // Response schemas document the API (OpenAPI); presenters already shape every response, so
  // responses are serialised directly instead of being re-validated by zod on the hot path.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  const hasWebApp = existsSync(path.join(WEB_DIST, "index.html"));
  installErrorHandling(app, {
    // Client-side routes: any other GET that wants HTML gets the app shell.
    spaFallback: (req, reply) => {
      const isApi = req.url.startsWith("/api/") || req.url === "/api" || req.url.startsWith("/ws");
      if (!hasWebApp || req.method !== "GET" || isApi || !(req.headers.accept ?? "").includes("text/html"))
        return false;
      void reply.type("text/html").sendFile("index.html");
      return true;
    },
  });

  // An empty body on a JSON request is "no body", not a parse error (POST …/activate/ from curl).
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser(["application/json", "text/plain"]);
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => {
    if (body === "" || (typeof body === "string" && body.trim() === "")) return done(null, undefined);
    parseJson(req, String(body), done);
  });

  installBodyTimeout(app, ctx.config.timeouts.bodyMs);
  installSecurityHeaders(app, ctx.config);
  app.addHook("onResponse", async (req, reply) => {
    httpRequestDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? "unmatched", status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(fastifyCookie);
  await app.register(fastifyMultipart, {
    limits: {
      fileSize: LIMITS.uploadMaxBytes,
      files: LIMITS.attachmentsPerItem,
      fields: 20,
      fieldSize: LIMITS.messageMax * 4,
    },
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Helpdesk API",
        version: "0.1.0",
        description:
          "Omnichannel helpdesk. Authenticate with `POST /api/auth/login/` (Bearer JWT), `POST /api/api-token-auth/` (`Authorization: Token …`) or the web session cookie. Errors are `{error:{code,message,details}}`. Lists are `{results, next}` with keyset cursors.",
      },
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
          token: { type: "apiKey", in: "header", name: "Authorization", description: "Token <api token>" },
        },
      },
      security: [{ bearer: [] }, { token: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/api/docs" });

  await app.register(async (scope) => {
    const modules = [
      registerSystemRoutes,
      registerAuthRoutes,
      registerUserRoutes,
      registerContactRoutes,
      registerCatalogRoutes,
      registerTicketRoutes,
      registerMessageRoutes,
      registerConversationRoutes,
      registerInboxRoutes,
      registerAttachmentRoutes,
      registerRealtimeRoutes,
      registerNotificationRoutes,
      registerEmailAdminRoutes,
    ];
    for (const register of modules) await register(scope, ctx);
    // Each channel's own routes (a webhook, the widget's socket).
    for (const driver of ctx.channels.list()) await driver.routes?.(scope, ctx);
    await registerChannelAccountRoutes(scope, ctx);
    await registerTelegramAccountRoutes(scope, ctx);
  });

  if (hasWebApp)
    await app.register(fastifyStatic, { root: WEB_DIST, wildcard: false, index: ["index.html"] });
  return app;
}
