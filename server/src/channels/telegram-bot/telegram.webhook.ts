import { createHash, timingSafeEqual } from "node:crypto";
import { ZOk } from "@helpdesk/contracts";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import type { TConfig } from "../../platform/config.js";
import { decryptSecret } from "../../platform/crypto.js";
import { classifyDatabaseInputError } from "../../platform/db-input-errors.js";
import { findBotCredentialRows } from "./telegram.accounts.js";
import { wakeStoredUpdates } from "./telegram.update-queue.js";
import {
  createBadUpdateError,
  createWebhookForbiddenError,
  createWebhookUnauthorizedError,
} from "./telegram.webhook.errors.js";
import {
  insertStoredUpdates,
  storedUpdateKey,
  type TNewStoredUpdate,
} from "./telegram.webhook.repository.js";

/** The largest update body taken (Telegram's are a few kilobytes). */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;
/** The header in which Telegram sends back setWebhook's `secret_token`. */
const SECRET_HEADER = "x-telegram-bot-api-secret-token";
/** The seed endpoint's header for the bot token. */
const TOKEN_HEADER = "x-bot-token";
/** How long the credentials in memory are trusted before they are read again. */
const CREDENTIALS_TTL_MS = 10_000;
/** A proof that matches nothing reads the credentials again, at most this often (a guesser costs no more). */
const RELOAD_GAP_MS = 1000;
/** Updates waiting to be stored at once share one insert (and one commit), up to this many… */
const WRITE_BATCH_COUNT = 100;
/** …and about this many bytes of bodies. */
const WRITE_BATCH_BYTES = 1024 * 1024;
/** Inserts in flight at once; what arrives meanwhile goes into the next one. */
const WRITES_AT_ONCE = 4;
/** Bot tokens as @BotFather gives them: the bot id, a colon, the rest. */
const TOKEN_SHAPE = /^(\d{1,20}):[A-Za-z0-9_-]{1,190}$/;

/** Our webhook's path for a bot account. */
export const webhookPathOf = (accountId: number) => `/api/channels/telegram/${accountId}/webhook`;

/**
 * The URL the receiver gives setWebhook, or undefined when PUBLIC_URL is not https: Telegram
 * only pushes to https, and without it the bot is read by long polling.
 */
export const webhookUrlOf = (config: Pick<TConfig, "publicUrl">, accountId: number) =>
  config.publicUrl.startsWith("https://") ? `${config.publicUrl}${webhookPathOf(accountId)}` : undefined;

/** The bus signal of "a bot's token or webhook secret changed": the routes read them again. */
const CREDENTIALS_CHANGED = "telegram.credentials_changed";

/**
 * Tells the webhook routes (this process at once, the others through the bus) to read the bots'
 * credentials again: a receiver stored a new webhook secret and is about to give it to Telegram.
 */
export const announceCredentialsChanged = (ctx: Pick<AppContext, "bus">) =>
  ctx.bus.publishEphemeral({ type: CREDENTIALS_CHANGED, data: {} });

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
/** Compared instead when there is nothing to compare with, so a miss takes as long as a match. */
const NOTHING = digest("");
const isSameDigest = (a: Buffer, b: Buffer | undefined) =>
  timingSafeEqual(a, b ?? NOTHING) && b !== undefined;

/** What the webhook routes know of a bot: digests only, never the token or the secret. */
type TBotCredential = {
  accountId: number;
  /** The token's first part (public: it is the bot's id), to narrow the candidates. */
  botId: string;
  tokenDigest: Buffer;
  secretDigest: Buffer | undefined;
};

/** Opens a stored config's sealed token and webhook secret into their digests; undefined if unreadable. */
function toCredential(appSecret: string, row: { id: number; config: unknown }): TBotCredential | undefined {
  const config = (row.config ?? {}) as { token?: unknown; webhook_secret?: unknown };
  if (typeof config.token !== "string") return undefined;
  try {
    const token = decryptSecret(appSecret, config.token);
    const secret =
      typeof config.webhook_secret === "string" ? decryptSecret(appSecret, config.webhook_secret) : undefined;
    return {
      accountId: row.id,
      botId: token.split(":")[0] ?? "",
      tokenDigest: digest(token),
      secretDigest: secret === undefined ? undefined : digest(secret),
    };
  } catch {
    // Sealed with another APP_SECRET: this bot cannot be checked (its receiver does not start either).
    return undefined;
  }
}

/**
 * The bots' credentials, held in memory so that an update costs one insert and nothing else: read
 * again every 10 s, when a receiver announces a new secret, and at once (at most once a second)
 * when a proof matches nothing, in case a bot is new. Comparisons are of SHA-256 digests in
 * constant time.
 */
function createBotCredentials(ctx: Pick<AppContext, "db" | "config" | "bus">) {
  let all: TBotCredential[] = [];
  let loadedAt = Number.NEGATIVE_INFINITY;
  /** Counts announcements: a read that began before one is not trusted as fresh. */
  let generation = 0;
  ctx.bus.subscribeEphemeral((e) => {
    if (e.type !== CREDENTIALS_CHANGED) return;
    generation += 1;
    loadedAt = Number.NEGATIVE_INFINITY;
  });
  let loading: Promise<void> | undefined;
  const load = () => {
    const seen = generation;
    loading ??= findBotCredentialRows(ctx.db)
      .then((rows) => {
        all = rows.flatMap((r) => toCredential(ctx.config.appSecret, r) ?? []);
        loadedAt = seen === generation ? Date.now() : Number.NEGATIVE_INFINITY;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };
  const find = async (match: (list: TBotCredential[]) => TBotCredential | undefined) => {
    if (Date.now() - loadedAt > CREDENTIALS_TTL_MS) await load();
    const found = match(all);
    if (found || Date.now() - loadedAt < RELOAD_GAP_MS) return found;
    await load();
    return match(all);
  };
  return {
    /** The account when `secret` is its webhook secret. */
    bySecret: (accountId: number, secret: string) => {
      const given = digest(secret);
      return find((list) => {
        const bot = list.find((c) => c.accountId === accountId);
        return isSameDigest(given, bot?.secretDigest) ? bot : undefined;
      });
    },
    /** The account whose token this is; only bots of the token's id are compared. */
    byToken: (token: string) => {
      const given = digest(token);
      const botId = token.split(":")[0];
      return find((list) => {
        let hit: TBotCredential | undefined;
        for (const c of list) if (c.botId === botId && isSameDigest(given, c.tokenDigest)) hit = c;
        return hit;
      });
    },
    /** Forgets what it holds (a bot was removed under it). */
    forget: () => {
      loadedAt = Number.NEGATIVE_INFINITY;
    },
  };
}

/**
 * Stores updates for the routes. Alone, an update is inserted at once; while WRITES_AT_ONCE
 * inserts are in flight, the updates that arrive meanwhile wait and go in one multi-row insert:
 * under load a statement, a round trip and a commit serve many requests, and each request still
 * waits for exactly one insert. A batch that fails on a value (a bot removed, a character
 * PostgreSQL refuses) is tried row by row, so only that request fails.
 */
function createUpdateWriter(ctx: Pick<AppContext, "db">) {
  type TWaiting = {
    update: TNewStoredUpdate;
    size: number;
    resolve: (isNew: boolean) => void;
    reject: (error: unknown) => void;
  };
  const waiting: TWaiting[] = [];
  let inFlight = 0;
  const write = async (batch: TWaiting[]): Promise<void> => {
    try {
      const fresh = await insertStoredUpdates(
        ctx.db,
        batch.map((w) => w.update),
      );
      for (const w of batch) w.resolve(fresh.has(storedUpdateKey(w.update)));
    } catch (error) {
      if (batch.length > 1 && classifyDatabaseInputError(error)) {
        for (const w of batch) await write([w]);
        return;
      }
      for (const w of batch) w.reject(error);
    }
  };
  const takeBatch = () => {
    let bytes = 0;
    let n = 0;
    while (
      n < waiting.length &&
      n < WRITE_BATCH_COUNT &&
      (n === 0 || bytes + waiting[n]!.size <= WRITE_BATCH_BYTES)
    )
      bytes += waiting[n++]!.size;
    return waiting.splice(0, n);
  };
  const pump = () => {
    while (waiting.length > 0 && inFlight < WRITES_AT_ONCE) {
      inFlight += 1;
      void write(takeBatch()).finally(() => {
        inFlight -= 1;
        pump();
      });
    }
  };
  return {
    /** Stores one update; answers whether it was new (not a repeat of one stored before). */
    store: (update: TNewStoredUpdate, size: number) =>
      new Promise<boolean>((resolve, reject) => {
        waiting.push({ update, size, resolve, reject });
        pump();
      }),
  };
}

/** A Telegram update as stored: any object with an integer id (the rest is Telegram's business). */
const ZStoredUpdate = z.looseObject({ update_id: z.number().int().min(0) });
const ZChatOf = z.object({ chat: z.object({ id: z.number().int() }) });

/** The body as an update, or 400 `telegram.bad_update`. */
function parseUpdate(body: unknown): z.infer<typeof ZStoredUpdate> {
  if (!Buffer.isBuffer(body) || body.length === 0) throw createBadUpdateError();
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw createBadUpdateError();
  }
  const parsed = ZStoredUpdate.safeParse(value);
  if (!parsed.success) throw createBadUpdateError();
  return parsed.data;
}

/** The chat an update belongs to (its order key): of the message, the edit, or the button's message. */
function chatIdOf(update: Record<string, unknown>): number | null {
  const callback = update.callback_query as { message?: unknown } | undefined;
  for (const m of [update.message, update.edited_message, callback?.message]) {
    const parsed = ZChatOf.safeParse(m);
    if (parsed.success) return parsed.data.chat.id;
  }
  return null;
}

const firstOf = (v: unknown) => (Array.isArray(v) ? v[0] : v);
const asText = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);

/**
 * The seed endpoint's token: the X-Bot-Token header, else `?token=`, else the path's last
 * segment (`/api/webhook/bot/<token>`).
 */
function tokenOf(req: FastifyRequest): string | undefined {
  const path = asText((req.params as Record<string, unknown>)["*"]);
  return (
    asText(firstOf(req.headers[TOKEN_HEADER])) ??
    asText(firstOf((req.query as Record<string, unknown>).token)) ??
    path?.split("/").filter(Boolean).at(-1)
  );
}

/**
 * The webhook routes of Telegram bots. Both check who is calling before the body is read, then
 * store the update as it came (`telegram_updates`, once per bot and update id), wake the bot's
 * receiver and answer 200; the receiver (the lease holder) processes it. Nothing else happens
 * on the request (one insert, shared with the requests arriving with it; see createUpdateWriter),
 * so Telegram gets its 200 fast. The URL of the seed route carries the token,
 * so these routes log only warnings and errors (never the URL), and no answer repeats a proof.
 * - `POST /api/channels/telegram/:accountId/webhook`: what setWebhook points at; Telegram's
 *   X-Telegram-Bot-Api-Secret-Token must be the account's webhook secret (401 without, 403 wrong).
 * - `POST /api/webhook/bot/[<token>]`: the seed's endpoint, for a bot whose updates another
 *   program forwards; the bot token (header, `?token=` or path) must be one of our bots' (401/403).
 */
export async function registerTelegramWebhookRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const credentials = createBotCredentials(ctx);
  const writer = createUpdateWriter(ctx);
  /** The account a request proved to be, from its onRequest check to its handler. */
  const proven = new WeakMap<FastifyRequest, { accountId: number; by: "secret" | "token" }>();

  const checkSecret = async (req: FastifyRequest) => {
    const secret = asText(firstOf(req.headers[SECRET_HEADER]));
    if (!secret) throw createWebhookUnauthorizedError("secret");
    const accountId = Number((req.params as { accountId?: string }).accountId);
    const bot = Number.isSafeInteger(accountId) ? await credentials.bySecret(accountId, secret) : undefined;
    if (!bot) throw createWebhookForbiddenError("secret");
    proven.set(req, { accountId: bot.accountId, by: "secret" });
  };
  const checkToken = async (req: FastifyRequest) => {
    const token = tokenOf(req);
    if (!token) throw createWebhookUnauthorizedError("token");
    const bot = TOKEN_SHAPE.test(token) ? await credentials.byToken(token) : undefined;
    if (!bot) throw createWebhookForbiddenError("token");
    proven.set(req, { accountId: bot.accountId, by: "token" });
  };

  const store = async (req: FastifyRequest) => {
    const proof = proven.get(req);
    if (!proof) throw createWebhookForbiddenError("secret");
    const { accountId } = proof;
    const update = parseUpdate(req.body);
    try {
      const isNew = await writer.store(
        { accountId, updateId: update.update_id, chatId: chatIdOf(update), payload: update },
        (req.body as Buffer).length,
      );
      if (isNew) wakeStoredUpdates(ctx, accountId);
    } catch (error) {
      // The bot was removed since its credentials were read.
      if (classifyDatabaseInputError(error)?.sqlState !== "23503") throw error;
      credentials.forget();
      throw createWebhookForbiddenError(proof.by);
    }
    return { ok: true };
  };

  await root.register(async (app) => {
    // The body is read as bytes whatever its content type and parsed by the route, so that
    // anything but an update is `telegram.bad_update`.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    );
    const options = { logLevel: "warn" as const, bodyLimit: WEBHOOK_BODY_LIMIT };
    const schema = (summary: string) => ({ schema: { tags: ["telegram"], summary, response: { 200: ZOk } } });
    app.post(
      "/api/channels/telegram/:accountId/webhook",
      {
        ...options,
        ...schema("A Telegram update for a bot in webhook mode (X-Telegram-Bot-Api-Secret-Token checked)"),
        onRequest: checkSecret,
      },
      store,
    );
    const seed = schema("A forwarded Telegram update (the bot token in X-Bot-Token, ?token= or the path)");
    app.post("/api/webhook/bot", { ...options, ...seed, onRequest: checkToken }, store);
    app.post("/api/webhook/bot/*", { ...options, ...seed, onRequest: checkToken }, store);
  });
}
