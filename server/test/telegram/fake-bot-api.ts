import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One Bot API call as the fake server received it. */
export type TRecordedCall = { token: string; method: string; params: Record<string, unknown>; at: number };

type TFailure = { status: number; description: string; retryAfter?: number };
type TPending = { offset: number; limit: number; res: ServerResponse; timer: NodeJS.Timeout };
type TBot = {
  id: number;
  username: string;
  updates: Record<string, unknown>[];
  /** Every update ever queued, for replay. */
  history: Record<string, unknown>[];
  nextUpdateId: number;
  pending: TPending | undefined;
  webhookUrl: string;
  /** What the last setWebhook gave (the secret Telegram would send back, the update types). */
  webhookSecret?: string;
  webhookAllowedUpdates?: unknown;
  nextMessageId: number;
};

/**
 * A Telegram Bot API in miniature, on a local port: `POST|GET /bot<token>/<method>` with a JSON,
 * form or query body, answered `{ ok, result }` or `{ ok: false, error_code, description,
 * parameters }`, and `GET /file/bot<token>/<path>` for downloads. getUpdates is a real long
 * poll: it waits up to `timeout` seconds for queued updates, and a second one for the same bot
 * while one waits is answered 409 Conflict. An unknown token is 401, as on Telegram.
 */
export async function startFakeBotApi() {
  const bots = new Map<string, TBot>();
  const files = new Map<string, { token: string; path: string; bytes: Buffer }>();
  const failures = new Map<string, TFailure[]>();
  const calls: TRecordedCall[] = [];
  const listeners = new Set<(call: TRecordedCall) => void>();
  const holds = new Set<{
    method: string;
    match: (p: Record<string, unknown>) => boolean;
    released: Promise<void>;
  }>();
  let conflicts = 0;

  const send = (res: ServerResponse, status: number, body: unknown) => {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, status: number, description: string, parameters?: object) =>
    send(res, status, { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) });

  const readBody = async (req: IncomingMessage, url: URL): Promise<Record<string, unknown>> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
    const type = req.headers["content-type"] ?? "";
    if (raw && type.includes("application/json")) Object.assign(params, JSON.parse(raw));
    else if (raw && type.includes("application/x-www-form-urlencoded"))
      Object.assign(params, Object.fromEntries(new URLSearchParams(raw)));
    // Form and query values are strings; JSON-looking ones (allowed_updates) are decoded.
    for (const [k, v] of Object.entries(params)) {
      if (typeof v === "string" && /^[[{]/.test(v)) {
        try {
          params[k] = JSON.parse(v);
        } catch {}
      }
    }
    return params;
  };

  /** Updates from `offset` on; asking with an offset confirms (drops) those before it. */
  const take = (bot: TBot, offset: number, limit: number) => {
    if (offset > 0) bot.updates = bot.updates.filter((u) => (u.update_id as number) >= offset);
    return bot.updates.slice(0, limit);
  };

  const answerPending = (bot: TBot) => {
    const p = bot.pending;
    if (!p) return;
    const ready = take(bot, p.offset, p.limit);
    if (ready.length === 0) return;
    clearTimeout(p.timer);
    bot.pending = undefined;
    send(p.res, 200, { ok: true, result: ready });
  };

  const methods: Record<
    string,
    (bot: TBot, params: Record<string, unknown>, res: ServerResponse, token: string) => void
  > = {
    getMe: (bot, _p, res) =>
      send(res, 200, {
        ok: true,
        result: { id: bot.id, is_bot: true, first_name: "Support bot", username: bot.username },
      }),
    deleteWebhook: (bot, _p, res) => {
      bot.webhookUrl = "";
      send(res, 200, { ok: true, result: true, description: "Webhook is already deleted" });
    },
    setWebhook: (bot, p, res) => {
      const url = String(p.url ?? "");
      const secret = p.secret_token === undefined ? undefined : String(p.secret_token);
      if (!url.startsWith("https://"))
        return fail(res, 400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook");
      if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret))
        return fail(res, 400, "Bad Request: secret token contains unallowed characters");
      bot.webhookUrl = url;
      bot.webhookSecret = secret;
      bot.webhookAllowedUpdates = p.allowed_updates;
      send(res, 200, { ok: true, result: true, description: "Webhook was set" });
    },
    getWebhookInfo: (bot, _p, res) =>
      send(res, 200, {
        ok: true,
        result: {
          url: bot.webhookUrl,
          has_custom_certificate: false,
          pending_update_count: 0,
          ...(bot.webhookUrl && Array.isArray(bot.webhookAllowedUpdates)
            ? { allowed_updates: bot.webhookAllowedUpdates }
            : {}),
        },
      }),
    getUpdates: (bot, p, res) => {
      if (bot.webhookUrl)
        return fail(res, 409, "Conflict: can't use getUpdates method while webhook is active");
      if (bot.pending) {
        conflicts += 1;
        return fail(
          res,
          409,
          "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
        );
      }
      const offset = Number(p.offset ?? 0);
      const limit = Math.min(100, Number(p.limit ?? 100));
      const timeout = Math.min(50, Number(p.timeout ?? 0));
      const ready = take(bot, offset, limit);
      if (ready.length > 0 || timeout <= 0) return send(res, 200, { ok: true, result: ready });
      const pending: TPending = {
        offset,
        limit,
        res,
        timer: setTimeout(() => {
          if (bot.pending === pending) bot.pending = undefined;
          send(res, 200, { ok: true, result: [] });
        }, timeout * 1000),
      };
      bot.pending = pending;
      // The poller gave up (aborted, or its process went away): the poll is over.
      res.on("close", () => {
        clearTimeout(pending.timer);
        if (bot.pending === pending) bot.pending = undefined;
      });
    },
    sendMessage: (bot, p, res) => {
      const text = String(p.text ?? "");
      if (!p.chat_id) return fail(res, 400, "Bad Request: chat_id is empty");
      if (!text.trim()) return fail(res, 400, "Bad Request: message text is empty");
      if (text.length > 4096) return fail(res, 400, "Bad Request: message is too long");
      const chatId = Number(p.chat_id);
      bot.nextMessageId += 1;
      send(res, 200, {
        ok: true,
        result: {
          message_id: bot.nextMessageId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: chatId, type: "private" },
          from: { id: bot.id, is_bot: true, first_name: "Support bot", username: bot.username },
          text,
        },
      });
    },
    setMyCommands: (_bot, p, res) => {
      if (!Array.isArray(p.commands)) return fail(res, 400, "Bad Request: commands must be an array");
      send(res, 200, { ok: true, result: true });
    },
    answerCallbackQuery: (_bot, p, res) => {
      if (!p.callback_query_id) return fail(res, 400, "Bad Request: query id is empty");
      send(res, 200, { ok: true, result: true });
    },
    editMessageReplyMarkup: (_bot, p, res) => {
      if (!p.chat_id || !p.message_id) return fail(res, 400, "Bad Request: message to edit not found");
      send(res, 200, { ok: true, result: true });
    },
    getFile: (_bot, p, res, token) => {
      const fileId = String(p.file_id ?? "");
      const file = files.get(fileId);
      if (!file || file.token !== token) return fail(res, 400, "Bad Request: invalid file_id");
      if (file.bytes.length > 20 * 1024 * 1024) return fail(res, 400, "Bad Request: file is too big");
      send(res, 200, {
        ok: true,
        result: {
          file_id: fileId,
          file_unique_id: `u-${fileId}`,
          file_size: file.bytes.length,
          file_path: file.path,
        },
      });
    },
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
      if (download && req.method === "GET") {
        const [, token, filePath] = download;
        const file = [...files.values()].find(
          (f) => f.token === token && f.path === decodeURIComponent(filePath!),
        );
        calls.push({ token: token!, method: "file", params: { path: filePath }, at: Date.now() });
        if (!file) return fail(res, 404, "Not Found");
        res.writeHead(200, {
          "content-type": "application/octet-stream",
          "content-length": file.bytes.length,
        });
        res.end(file.bytes);
        return;
      }
      const call = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
      if (!call) return fail(res, 404, "Not Found");
      const [, token, method] = call;
      const params = await readBody(req, url);
      calls.push({ token: token!, method: method!, params, at: Date.now() });
      for (const listener of listeners) listener(calls.at(-1)!);
      const bot = bots.get(token!);
      if (!bot) return fail(res, 401, "Unauthorized");
      const queued = failures.get(method!);
      const failure = queued?.shift();
      if (failure) {
        return fail(
          res,
          failure.status,
          failure.description,
          failure.retryAfter === undefined ? undefined : { retry_after: failure.retryAfter },
        );
      }
      // A held call (a slow download, say) waits until the test lets it go.
      for (const h of holds) if (h.method === method && h.match(params)) await h.released;
      const handler = methods[method!];
      if (!handler) return fail(res, 404, "Not Found: method not found");
      handler(bot, params, res, token!);
    })().catch((error: unknown) => fail(res, 500, `fake server: ${String(error)}`));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    /** The API root to give the server as TELEGRAM_API_ROOT. */
    url,
    /** Adds a bot; its id is the token's number, as on Telegram. */
    addBot(token: string, username = "support_test_bot") {
      const bot: TBot = {
        id: Number(token.split(":")[0]),
        username,
        updates: [],
        history: [],
        nextUpdateId: 1000,
        pending: undefined,
        webhookUrl: "",
        nextMessageId: 500,
      };
      bots.set(token, bot);
      return bot;
    },
    /** Sets a webhook, as another deployment of the bot would (getUpdates is refused until deleted). */
    setWebhook(token: string, webhookUrl: string) {
      bots.get(token)!.webhookUrl = webhookUrl;
    },
    /** Calls `listener` with every Bot API call as it arrives (not downloads); returns the unsubscribe. */
    onCall(listener: (call: TRecordedCall) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** The bot's webhook as the last setWebhook left it (url "" when none or deleted). */
    webhookOf(token: string) {
      const bot = bots.get(token);
      return {
        url: bot?.webhookUrl ?? "",
        secret: bot?.webhookUrl ? bot.webhookSecret : undefined,
        allowedUpdates: bot?.webhookUrl ? bot.webhookAllowedUpdates : undefined,
      };
    },
    /**
     * Holds calls of `method` whose params match (getFile of one file, say) until the returned
     * function is called: each waits, then is answered as usual.
     */
    hold(method: string, match: (params: Record<string, unknown>) => boolean = () => true): () => void {
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const h = { method, match, released };
      holds.add(h);
      return () => {
        holds.delete(h);
        release();
      };
    },
    /** Queues an update for the bot (numbered when it has no `update_id`) and returns its id. */
    pushUpdate(token: string, update: Record<string, unknown>): number {
      const bot = bots.get(token);
      if (!bot) throw new Error(`no bot ${token}`);
      const updateId = typeof update.update_id === "number" ? update.update_id : ++bot.nextUpdateId;
      bot.nextUpdateId = Math.max(bot.nextUpdateId, updateId);
      bot.updates.push({ ...update, update_id: updateId });
      bot.history.push({ ...update, update_id: updateId });
      bot.updates.sort((a, b) => (a.update_id as number) - (b.update_id as number));
      answerPending(bot);
      return updateId;
    },
    /**
     * Queues again every update from `fromUpdateId` on, as Telegram does for updates whose offset
     * was never confirmed (the poller crashed before it saved its position).
     */
    replay(token: string, fromUpdateId: number) {
      const bot = bots.get(token)!;
      const kept = new Set(bot.updates.map((u) => u.update_id));
      for (const u of bot.history) {
        if ((u.update_id as number) >= fromUpdateId && !kept.has(u.update_id)) bot.updates.push(u);
      }
      bot.updates.sort((a, b) => (a.update_id as number) - (b.update_id as number));
      answerPending(bot);
    },
    /** Makes a file downloadable through getFile and `/file/bot<token>/<path>`. */
    addFile(token: string, fileId: string, bytes: Buffer, filePath = `documents/${fileId}`) {
      files.set(fileId, { token, path: filePath, bytes });
    },
    /** The next `count` calls of `method` (any bot) fail with this status (500, 429 with retry_after, …). */
    failNext(method: string, count: number, failure: Partial<TFailure> = {}) {
      const list = failures.get(method) ?? [];
      for (let i = 0; i < count; i++) {
        list.push({
          status: failure.status ?? 500,
          description:
            failure.description ??
            (failure.status === 429
              ? `Too Many Requests: retry after ${failure.retryAfter ?? 1}`
              : "Internal Server Error"),
          retryAfter: failure.retryAfter,
        });
      }
      failures.set(method, list);
    },
    /** Calls received, optionally of one method and one bot. */
    calls(method?: string, token?: string): TRecordedCall[] {
      return calls.filter((c) => (!method || c.method === method) && (!token || c.token === token));
    },
    /** getUpdates answered 409 because another one was waiting. */
    conflicts: () => conflicts,
    /** Whether a getUpdates of this bot is waiting right now. */
    isPolling: (token: string) => bots.get(token)?.pending !== undefined,
    /** Updates queued and not yet confirmed by a later offset. */
    unconfirmed: (token: string) => bots.get(token)?.updates.length ?? 0,
    async close() {
      for (const bot of bots.values()) if (bot.pending) clearTimeout(bot.pending.timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type TFakeBotApi = Awaited<ReturnType<typeof startFakeBotApi>>;
