import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { z } from "zod";

const SERVICE_NAMES = ["web", "worker"] as const;

/** A duration in milliseconds from the environment, with its default. */
const ms = (fallback: number) => z.coerce.number().int().min(100).max(86_400_000).default(fallback);

/**
 * Every environment variable the server reads, with its default. This is the only place
 * that touches `process.env` (a lint rule keeps it so).
 */
const ZEnv = z.object({
  /** TCP port of the HTTP server. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Interface to bind; 0.0.0.0 to accept connections from other machines. */
  HOST: z.string().min(1).default("127.0.0.1"),
  /** Where the embedded database, uploaded files and the generated secret live. */
  DATA_DIR: z.string().min(1).default("./data"),
  /** PostgreSQL connection string; unset means the embedded PGlite database in DATA_DIR. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
    .optional(),
  /** PostgreSQL: most connections this process opens. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  /**
   * PostgreSQL: connections kept open while idle. Each new connection pays for loading the
   * Russian full-text dictionary (~33 ms) on its first search, so a warm few are kept.
   */
  DATABASE_POOL_MIN: z.coerce.number().int().min(0).max(1000).default(2),
  /** PostgreSQL: milliseconds an idle connection above DATABASE_POOL_MIN stays open. */
  DATABASE_IDLE_TIMEOUT_MS: ms(300_000),
  /**
   * PostgreSQL: milliseconds a request waits for a connection (the database down or every
   * connection busy) before it is answered 503 `service.database_unavailable`.
   */
  DATABASE_CONNECT_TIMEOUT_MS: ms(5000),
  /** PostgreSQL: milliseconds a statement may run before the server cancels it (503); 0 for none. */
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(86_400_000).default(30_000),
  /** Redis for real-time fan-out across instances; unset means in-process. */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must start with redis:// or rediss://")
    .optional(),
  /** The address people use to reach the app; used in links in e-mails. */
  PUBLIC_URL: z.url().optional(),
  /** Signs tokens and encrypts stored secrets; generated into DATA_DIR when unset. */
  APP_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  /** With ADMIN_PASSWORD: the first admin, created at start when there is none. */
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(10, "must be at least 10 characters").optional(),
  /** Only e-mail addresses of this domain may self-register (overrides the admin setting). */
  ALLOWED_EMAIL_DOMAIN: z
    .string()
    .regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/i, "must be a domain such as example.com")
    .optional(),
  /** Roles of this process: web (HTTP + WebSocket), worker (jobs and schedules). */
  SERVICES: z
    .string()
    .default("web,worker")
    .transform((s) =>
      s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(SERVICE_NAMES)).min(1)),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /**
   * Behind a reverse proxy: which hops' X-Forwarded-* headers to believe. `false` (default):
   * none. `true`: proxies on loopback and private addresses. A number: that many hops. Or a
   * comma list of proxy addresses/CIDRs. The client address is the right-most address that is
   * not a trusted proxy, so a client-chosen X-Forwarded-For cannot pick its own address; the
   * proxy must still overwrite or append the header (nginx: `$proxy_add_x_forwarded_for`).
   */
  TRUST_PROXY: z
    .string()
    .trim()
    .default("false")
    .transform((v, ctx) => {
      if (v === "false" || v === "0") return false;
      if (v === "true" || v === "1") return ["loopback", "linklocal", "uniquelocal"];
      if (/^\d{1,2}$/.test(v)) return Number(v);
      const list = v
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean);
      const bad = list.filter(
        (x) => !/^[0-9a-f.:]+(\/\d{1,3})?$/i.test(x) && !/^(loopback|linklocal|uniquelocal)$/.test(x),
      );
      if (list.length === 0 || bad.length > 0) {
        ctx.addIssue({
          code: "custom",
          message: `must be true, false, a hop count or proxy addresses (bad: ${bad.join(", ")})`,
        });
        return z.NEVER;
      }
      return list;
    }),
  /**
   * Origins besides PUBLIC_URL's from which the web session cookie may change things (comma
   * list, `https://helpdesk.example.com`). Writes carrying the cookie from any other Origin are refused.
   */
  TRUSTED_ORIGINS: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((x) => x.trim().replace(/\/$/, ""))
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/ }))),
  /** Bearer token that `/metrics` requires; unset: only direct loopback connections may read it. */
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  /** Serve `/metrics` on a separate listener (METRICS_HOST:METRICS_PORT) instead of the main port. */
  METRICS_HOST: z.string().min(1).optional(),
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Outgoing mail server, `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`; overrides the admin setting. */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, "must start with smtp:// or smtps://")
    .optional(),
  /** Sender of outgoing mail, `Helpdesk <support@example.com>`; overrides the admin setting. */
  MAIL_FROM: z.string().min(3).optional(),
  /** Milliseconds for a client to send the request line and headers (slow-header attacks). */
  HEADERS_TIMEOUT_MS: ms(30_000),
  /**
   * Milliseconds for a whole request, body included. Generous: a 25 MB upload over a slow link
   * (≈ 350 kbit/s) still fits; a stalled upload is ended sooner by UPLOAD_STALL_TIMEOUT_MS.
   */
  REQUEST_TIMEOUT_MS: ms(600_000),
  /** Milliseconds for a JSON (non-upload) body, at most 1 MB, to arrive in full; then 408. */
  BODY_TIMEOUT_MS: ms(30_000),
  /** Milliseconds an upload (multipart) may send nothing before it is ended with 408. */
  UPLOAD_STALL_TIMEOUT_MS: ms(30_000),
  /** Milliseconds a connection may be silent (no byte either way) before it is closed. */
  IDLE_TIMEOUT_MS: ms(120_000),
  /** Milliseconds an idle keep-alive connection is kept open for the next request. */
  KEEP_ALIVE_TIMEOUT_MS: ms(72_000),
  /** One mailbox read into the "From e-mail" queue, `imaps://user:pass@host:993/INBOX` (`imap://` without TLS). */
  IMAP_URL: z
    .string()
    .regex(/^imaps?:\/\//, "must start with imap:// or imaps://")
    .optional(),
  /** Milliseconds an idle job queue waits before it looks again; a queue with work never waits. */
  JOBS_POLLING_INTERVAL_MS: ms(2000),
  /**
   * Most handlers of one job queue that run at once in this process (e-mail delivery uses all
   * of them, fan-out half, sweeps one). Default: twice the CPU count, from 2 to 8.
   */
  JOBS_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(Math.min(8, Math.max(2, availableParallelism() * 2))),
  /**
   * How long a worker's hold on a channel account (a mailbox, a bot) lasts without renewal: a
   * worker that dies is replaced on its accounts this long after its last renewal.
   */
  CHANNEL_LEASE_MS: z.coerce.number().int().min(1000).max(600_000).default(15_000),
  /** The most chats with an open ticket an agent is given automatically, unless set for them. */
  INBOX_MAX_ACTIVE_CHATS: z.coerce.number().int().min(0).max(10_000).default(50),
  /**
   * An agent is available for new chats when signed in (a live session) and seen (a request with
   * that session) within this many minutes.
   */
  INBOX_AGENT_ACTIVE_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
  /**
   * Where the Telegram Bot API is (every call and file download goes here): Telegram's own, or a
   * self-hosted Bot API server. Without the trailing slash.
   */
  TELEGRAM_API_ROOT: z
    .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
    .default("https://api.telegram.org")
    .transform((v) => v.replace(/\/+$/, "")),
  /** One bot read as an inbox channel (from @BotFather, `123456789:AA…`); mirrored into an account. */
  TELEGRAM_BOT_TOKEN: z
    .string()
    .regex(/^\d+:[A-Za-z0-9_-]{35,}$/, "must be a bot token from @BotFather, <digits>:<35+ characters>")
    .optional(),
  /** Seconds one long poll of the Bot API (getUpdates) waits for messages before it asks again. */
  TELEGRAM_POLL_TIMEOUT_S: z.coerce.number().int().min(0).max(50).default(25),
  /**
   * What TELEGRAM_BOT_TOKEN's bot is: `requester` (the product's bot: people file and track their
   * requests with commands and a guided dialogue, and get their notifications) or `inbox` (every
   * private message goes into a conversation with the support team, as a chat).
   */
  TELEGRAM_BOT_MODE: z.enum(["requester", "inbox"]).default("requester"),
});

export type TConfig = {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  /** PostgreSQL pool settings (ignored by the embedded database). */
  databasePool: {
    max: number;
    min: number;
    idleTimeoutMs: number;
    connectTimeoutMs: number;
    statementTimeoutMs: number;
  };
  redisUrl: string | undefined;
  publicUrl: string;
  appSecret: string;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  allowedEmailDomain: string | undefined;
  services: ReadonlyArray<(typeof SERVICE_NAMES)[number]>;
  logLevel: string;
  isProduction: boolean;
  isTest: boolean;
  /** Fastify's `trustProxy`: false, a hop count, or trusted proxy addresses/CIDRs. */
  trustProxy: false | number | string[];
  /** Origins the cookie-authenticated web app may write from: PUBLIC_URL's, local aliases, TRUSTED_ORIGINS. */
  trustedOrigins: string[];
  metricsToken: string | undefined;
  metrics: { host: string; port: number } | undefined;
  smtpUrl: string | undefined;
  mailFrom: string | undefined;
  imapUrl: string | undefined;
  /** Background jobs (see ZEnv JOBS_*). */
  jobs: { pollingIntervalMs: number; concurrency: number };
  /** Channel receivers' lease on their accounts (see ZEnv CHANNEL_LEASE_MS). */
  channelLeaseMs: number;
  /** Automatic chat assignment (see ZEnv INBOX_*). */
  inbox: { defaultMaxActiveChats: number; agentActiveMinutes: number };
  /** The Telegram Bot API's root URL, no trailing slash (see ZEnv TELEGRAM_API_ROOT). */
  telegramApiRoot: string;
  /** The bot TELEGRAM_BOT_TOKEN defines, mirrored into a channel account. */
  telegramBotToken: string | undefined;
  /** Seconds a getUpdates long poll waits (see ZEnv TELEGRAM_POLL_TIMEOUT_S). */
  telegramPollTimeoutS: number;
  telegramBotMode: "requester" | "inbox";
  /** HTTP timeouts in milliseconds (see ZEnv). */
  timeouts: {
    headersMs: number;
    requestMs: number;
    bodyMs: number;
    uploadStallMs: number;
    idleMs: number;
    keepAliveMs: number;
  };
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/**
 * Parses the environment once. Every problem is listed (naming the variable), then it throws
 * a ConfigError that the CLI prints before exiting.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): TConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = ZEnv.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".") || "env"}: ${i.message}`));
  }
  const e = parsed.data;
  if ((e.ADMIN_EMAIL && !e.ADMIN_PASSWORD) || (!e.ADMIN_EMAIL && e.ADMIN_PASSWORD)) {
    throw new ConfigError(["ADMIN_EMAIL and ADMIN_PASSWORD must be set together"]);
  }
  if ((e.METRICS_HOST === undefined) !== (e.METRICS_PORT === undefined)) {
    throw new ConfigError(["METRICS_HOST and METRICS_PORT must be set together"]);
  }
  const timeoutProblems = [
    e.HEADERS_TIMEOUT_MS > e.REQUEST_TIMEOUT_MS && "HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS",
    e.BODY_TIMEOUT_MS > e.REQUEST_TIMEOUT_MS && "BODY_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS",
    // The stall must be noticed (and answered 408) before the idle connection is dropped silently.
    e.UPLOAD_STALL_TIMEOUT_MS >= e.IDLE_TIMEOUT_MS &&
      "UPLOAD_STALL_TIMEOUT_MS: must be less than IDLE_TIMEOUT_MS",
  ].filter((p): p is string => typeof p === "string");
  if (timeoutProblems.length > 0) throw new ConfigError(timeoutProblems);
  const dataDir = path.resolve(e.DATA_DIR);
  const publicUrl = (
    e.PUBLIC_URL ?? `http://${e.HOST === "0.0.0.0" ? "localhost" : e.HOST}:${e.PORT}`
  ).replace(/\/$/, "");
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseUrl: e.DATABASE_URL,
    databasePool: {
      max: e.DATABASE_POOL_SIZE,
      min: Math.min(e.DATABASE_POOL_MIN, e.DATABASE_POOL_SIZE),
      idleTimeoutMs: e.DATABASE_IDLE_TIMEOUT_MS,
      connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    },
    redisUrl: e.REDIS_URL,
    publicUrl,
    appSecret: e.APP_SECRET ?? readOrCreateSecret(dataDir),
    adminEmail: e.ADMIN_EMAIL?.toLowerCase(),
    adminPassword: e.ADMIN_PASSWORD,
    allowedEmailDomain: e.ALLOWED_EMAIL_DOMAIN?.toLowerCase(),
    services: e.SERVICES,
    logLevel: e.LOG_LEVEL,
    isProduction: e.NODE_ENV === "production",
    isTest: e.NODE_ENV === "test",
    trustProxy: e.TRUST_PROXY,
    trustedOrigins: trustedOriginsOf(publicUrl, e.PUBLIC_URL === undefined, e.PORT, e.TRUSTED_ORIGINS),
    metricsToken: e.METRICS_TOKEN,
    metrics: e.METRICS_HOST && e.METRICS_PORT ? { host: e.METRICS_HOST, port: e.METRICS_PORT } : undefined,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    imapUrl: e.IMAP_URL,
    jobs: { pollingIntervalMs: e.JOBS_POLLING_INTERVAL_MS, concurrency: e.JOBS_CONCURRENCY },
    channelLeaseMs: e.CHANNEL_LEASE_MS,
    inbox: {
      defaultMaxActiveChats: e.INBOX_MAX_ACTIVE_CHATS,
      agentActiveMinutes: e.INBOX_AGENT_ACTIVE_MINUTES,
    },
    telegramApiRoot: e.TELEGRAM_API_ROOT,
    telegramBotToken: e.TELEGRAM_BOT_TOKEN,
    telegramPollTimeoutS: e.TELEGRAM_POLL_TIMEOUT_S,
    telegramBotMode: e.TELEGRAM_BOT_MODE,
    timeouts: {
      headersMs: e.HEADERS_TIMEOUT_MS,
      requestMs: e.REQUEST_TIMEOUT_MS,
      bodyMs: e.BODY_TIMEOUT_MS,
      uploadStallMs: e.UPLOAD_STALL_TIMEOUT_MS,
      idleMs: e.IDLE_TIMEOUT_MS,
      keepAliveMs: e.KEEP_ALIVE_TIMEOUT_MS,
    },
  };
}

/**
 * PUBLIC_URL's origin and the configured extra ones. When PUBLIC_URL is not set (a laptop), the
 * local names of this port are the same site too: localhost, 127.0.0.1 and [::1].
 */
function trustedOriginsOf(publicUrl: string, isDefault: boolean, port: number, extra: string[]): string[] {
  const origins = new Set([new URL(publicUrl).origin, ...extra.map((o) => new URL(o).origin)]);
  if (isDefault)
    for (const host of ["localhost", "127.0.0.1", "[::1]"]) origins.add(`http://${host}:${port}`);
  return [...origins];
}

function readOrCreateSecret(dataDir: string): string {
  const file = path.join(dataDir, "app-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
