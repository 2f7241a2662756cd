import { format } from "node:util";
import {
  InputMedia,
  Long,
  MemoryStorage,
  type Message,
  MtPeerNotFoundError,
  MtTimeoutError,
  MtUnsupportedError,
  NodePlatform,
  networkMiddlewares,
  type RpcCallMiddleware,
  SentCode,
  TelegramClient,
  type TelegramClientOptions,
  tl,
  User,
} from "@mtcute/node";
import { isTlRpcError, readStringSession } from "@mtcute/node/utils.js";
import { z } from "zod";
import {
  type TCodeDelivery,
  type TCreateTelegramUserClient,
  TelegramUserError,
  type TSentCode,
  type TSignInResult,
  type TTelegramUserClient,
  type TTelegramUserClientOptions,
  type TTelegramUserLogger,
  type TUserIdentity,
  type TUserInboundMessage,
  type TUserMedia,
  type TUserOutboundFile,
  type TUserSendOptions,
  type TUserUpdatesState,
} from "./telegram-user.port.js";

/** The "Telegram" service chat: login codes and security notices, never a customer. */
export const TELEGRAM_SERVICE_USER_ID = 777000;

/** Tuning of the mtcute adapter on top of the port's options. */
export type TMtcuteTelegramUserOptions = TTelegramUserClientOptions & {
  /**
   * The longest FLOOD_WAIT mtcute may sleep through before retrying by itself (mtcute's
   * `floodWaiter.maxWait`, 10 s by default); a longer one throws `flood_wait` at once.
   */
  floodSleepThresholdS?: number;
  /** Deadline of one call to Telegram; mtcute itself would wait for a connection forever. */
  callTimeoutMs?: number;
  /** Deadline of one download or upload. */
  transferTimeoutMs?: number;
  /** How often a running client asks Telegram whether its session still lives. */
  sessionCheckIntervalMs?: number;
  /** What mtcute may log: its debug levels dump whole requests (codes among them), so no lower. */
  logLevel?: "error" | "warn" | "info";
  /** How the session is named in Telegram's Settings → Devices. */
  deviceModel?: string;
  /**
   * RPC middlewares closest to the network, after mtcute's flood waiter and error retries: the
   * unit tests answer Telegram's calls here, with mtcute's real client around them.
   */
  innerMiddlewares?: RpcCallMiddleware[];
};

const DEFAULTS = {
  floodSleepThresholdS: 5,
  callTimeoutMs: 30_000,
  transferTimeoutMs: 300_000,
  sessionCheckIntervalMs: 120_000,
  deviceModel: "Helpdesk",
};

/** mtcute's LogManager levels. */
const LOG_LEVELS = { off: 0, error: 1, warn: 2, info: 3 } as const;
/** Internal errors (5xx) are retried this often before they surface as `network`. */
const INTERNAL_ERROR_RETRIES = 5;
/** A download gives up when no chunk came for this long. */
const DOWNLOAD_STALL_MS = 60_000;
/** The same connection trouble is logged at most once per this interval. */
const REPEAT_LOG_MS = 60_000;

/** Telegram's errors that end the session, and which code each is. */
const SESSION_END_ERRORS: Record<string, "session_revoked" | "auth_key_duplicated"> = {
  AUTH_KEY_UNREGISTERED: "session_revoked",
  AUTH_KEY_INVALID: "session_revoked",
  SESSION_REVOKED: "session_revoked",
  SESSION_EXPIRED: "session_revoked",
  USER_DEACTIVATED: "session_revoked",
  USER_DEACTIVATED_BAN: "session_revoked",
  AUTH_KEY_DUPLICATED: "auth_key_duplicated",
};

const SESSION_END_MESSAGES: Record<string, string> = {
  USER_DEACTIVATED: "The Telegram account was deleted. Its session has ended.",
  USER_DEACTIVATED_BAN: "Telegram has banned the account. Its session has ended.",
};

/** Telegram's error texts of a code, other than waits and session ends. */
const RPC_ERROR_CODES: Record<string, TelegramUserError["code"]> = {
  PHONE_CODE_INVALID: "phone_code_invalid",
  PHONE_CODE_EMPTY: "phone_code_invalid",
  PHONE_CODE_EXPIRED: "phone_code_expired",
  PHONE_CODE_HASH_EMPTY: "phone_code_expired",
  PHONE_HASH_EXPIRED: "phone_code_expired",
  CODE_HASH_INVALID: "phone_code_expired",
  PASSWORD_HASH_INVALID: "password_invalid",
  PASSWORD_EMPTY: "password_invalid",
  PHONE_NUMBER_FLOOD: "phone_number_flood",
  PHONE_PASSWORD_FLOOD: "phone_number_flood",
  PHONE_NUMBER_BANNED: "phone_number_banned",
  PHONE_NUMBER_INVALID: "phone_number_invalid",
};

const NO_OTHER_WAY = "Telegram has no other way to send the code. Wait for it, or start over later.";
const NO_ACCOUNT = "No Telegram account uses this phone number. Sign up in an official Telegram app first.";

/** Errors left as `other` that deserve a plainer sentence than Telegram's text. */
const RPC_ERROR_MESSAGES: Record<string, string> = {
  API_ID_INVALID: "Telegram does not accept this api_id and api_hash. Copy them again from my.telegram.org.",
  API_ID_PUBLISHED_FLOOD:
    "Telegram refuses this api_id (it was published). Create another one at my.telegram.org.",
  PHONE_NUMBER_UNOCCUPIED: NO_ACCOUNT,
  SEND_CODE_UNAVAILABLE: NO_OTHER_WAY,
  MESSAGE_TOO_LONG: "The text is longer than Telegram allows (4096 characters).",
  MEDIA_CAPTION_TOO_LONG: "The caption is longer than Telegram allows.",
  PEER_ID_INVALID: "Telegram does not know this chat for this account.",
  INPUT_USER_DEACTIVATED: "The person's Telegram account was deleted.",
  USER_IS_BLOCKED: "The person has blocked this account.",
  PRIVACY_PREMIUM_REQUIRED: "The person accepts messages only from Telegram Premium accounts.",
  FILE_REFERENCE_EXPIRED: "Telegram's link to this file has expired; it can no longer be fetched.",
};

const WAIT_TEXT = /^(?:FLOOD_WAIT|FLOOD_PREMIUM_WAIT|SLOWMODE_WAIT|FLOOD_TEST_PHONE_WAIT)_(\d+)$/;
const SOCKET_ERRORS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);

/** Seconds of a FLOOD_WAIT_X (and of its premium, slow-mode and test-phone kin). */
function waitSecondsOf(error: tl.RpcError): number | undefined {
  if (error.is("FLOOD_WAIT_%d") || error.is("SLOWMODE_WAIT_%d") || error.is("FLOOD_TEST_PHONE_WAIT_%d"))
    return error.seconds;
  const match = WAIT_TEXT.exec(error.text);
  return match ? Number(match[1]) : undefined;
}

/** Telegram's error text as it came over the wire (mtcute turns FLOOD_WAIT_42 into FLOOD_WAIT_%d). */
const wireTextOf = (error: tl.RpcError, seconds: number | undefined) =>
  seconds === undefined ? error.text : error.text.replace("%d", String(seconds));

/** Maps one of Telegram's RPC errors (`tl.RpcError`, what mtcute throws for them). */
export function fromRpcError(error: tl.RpcError): TelegramUserError {
  const seconds = waitSecondsOf(error);
  const telegramError = wireTextOf(error, seconds);
  const details = { telegramError, cause: error };
  if (seconds !== undefined) return new TelegramUserError("flood_wait", undefined, { ...details, seconds });
  const sessionEnd = SESSION_END_ERRORS[error.text];
  if (sessionEnd) return new TelegramUserError(sessionEnd, SESSION_END_MESSAGES[error.text], details);
  const code = RPC_ERROR_CODES[error.text];
  if (code) return new TelegramUserError(code, undefined, details);
  // 5xx and -503 "Timeout": Telegram's own trouble, which passes (mtcute retried already).
  if (error.code >= 500 || error.code < 0)
    return new TelegramUserError(
      "network",
      `Telegram had an internal error (${error.code} ${error.text}).`,
      details,
    );
  const message =
    RPC_ERROR_MESSAGES[error.text] ?? `Telegram refused the request: ${error.code} ${error.text}.`;
  return new TelegramUserError("other", message, details);
}

const isAbortLike = (error: unknown): error is Error =>
  error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");

const socketCodeOf = (error: unknown): string | undefined => {
  if (!(error instanceof Error) || !("code" in error)) return undefined;
  return typeof error.code === "string" && SOCKET_ERRORS.has(error.code) ? error.code : undefined;
};

/**
 * Turns whatever mtcute or the socket threw into the port's one error. An error of this layer
 * passes as it is; anything unknown is `other` with its message (mtcute's messages carry no
 * secrets: requests are not part of them).
 */
export function toTelegramUserError(error: unknown): TelegramUserError {
  if (error instanceof TelegramUserError) return error;
  if (tl.RpcError.is(error)) return fromRpcError(error);
  if (error instanceof MtTimeoutError || (isAbortLike(error) && error.name === "TimeoutError"))
    return new TelegramUserError("network", "Telegram did not answer in time.", { cause: error });
  if (isAbortLike(error))
    return new TelegramUserError("network", "The call to Telegram was cancelled (the client is closing).", {
      cause: error,
    });
  const socketCode = socketCodeOf(error);
  if (socketCode)
    return new TelegramUserError("network", `Telegram could not be reached (${socketCode}).`, {
      cause: error,
    });
  if (error instanceof MtPeerNotFoundError)
    return new TelegramUserError(
      "other",
      "This account does not know the chat yet (no message from it since the client started); pass the chat's chatRef.",
      { cause: error },
    );
  const message = error instanceof Error ? error.message : String(error);
  return new TelegramUserError("other", `Telegram client error: ${message}`.slice(0, 500), { cause: error });
}

const DELIVERY: Record<string, TCodeDelivery> = {
  app: "app",
  sms: "sms",
  sms_word: "sms",
  sms_phrase: "sms",
  firebase: "sms",
  call: "call",
  flash_call: "flash_call",
  missed_call: "missed_call",
  email: "email",
  fragment: "fragment",
};

/** mtcute's `SentCode` as the port says it. */
export function toSentCode(sent: SentCode): TSentCode {
  const nextType = sent.nextType === "none" ? "none" : (DELIVERY[sent.nextType] ?? "other");
  return {
    type: DELIVERY[sent.type] ?? "other",
    nextType: nextType === "app" ? "other" : nextType,
    timeoutS: sent.timeout,
    canResend: nextType !== "none",
    ...(sent.length > 0 ? { length: sent.length } : {}),
  };
}

export const toUserIdentity = (user: User): TUserIdentity => ({
  id: user.id,
  firstName: user.firstName,
  lastName: user.lastName,
  username: user.username,
  phone: user.phoneNumber,
});

/** What a media handle carries: mtcute's file id (Bot API compatible), its data centre and size. */
const ZMediaHandle = z.object({
  f: z.string().min(1),
  d: z.number().int().nullable(),
  s: z.number().int().nonnegative().nullable(),
});
type TMediaHandle = z.infer<typeof ZMediaHandle>;

export const encodeMediaHandle = (handle: TMediaHandle) =>
  Buffer.from(JSON.stringify(handle)).toString("base64url");

export function decodeMediaHandle(handle: string): TMediaHandle {
  try {
    return ZMediaHandle.parse(JSON.parse(Buffer.from(handle, "base64url").toString("utf8")));
  } catch (error) {
    throw new TelegramUserError("other", "Not a media handle of this client.", { cause: error });
  }
}

/** A file of a message: its handle, name, type and size. */
function fileMedia(
  kind: TUserMedia["kind"],
  file: { fileId: string; dcId?: number | undefined; fileSize?: number | undefined },
  meta: { fileName: string | null; mime: string | null },
): TUserMedia {
  const size = file.fileSize ?? null;
  return {
    kind,
    fileName: meta.fileName,
    mime: meta.mime,
    size,
    handle: encodeMediaHandle({ f: file.fileId, d: file.dcId ?? null, s: size }),
  };
}

const other = (telegramType: string): TUserMedia => ({
  kind: "other",
  fileName: null,
  mime: null,
  size: null,
  handle: null,
  telegramType,
});

/**
 * The media of a message as the port lists it: a photo in its largest size, a file with its
 * name and type, a location or contact card by value, anything else as `other` with its kind.
 * A link preview is not media (the link is in the text).
 */
export function mediaOf(message: Message): TUserMedia[] {
  let media: Message["media"];
  try {
    media = message.media;
  } catch {
    // mtcute throws on a malformed photo (no sizes): still a message, with a note.
    return [other("unreadable")];
  }
  if (!media) {
    const raw = message.raw._ === "message" ? message.raw.media : undefined;
    if (!raw || raw._ === "messageMediaEmpty" || raw._ === "messageMediaWebPage") return [];
    return [other(raw._.replace(/^messageMedia/, "").toLowerCase())];
  }
  switch (media.type) {
    case "photo":
      return [fileMedia("photo", media, { fileName: null, mime: "image/jpeg" })];
    case "video":
    case "document":
    case "voice":
    case "audio":
    case "sticker":
      return [fileMedia(media.type, media, { fileName: media.fileName, mime: media.mimeType || null })];
    case "location":
    case "live_location":
      return [
        {
          ...other("location"),
          kind: "location",
          location: { latitude: media.latitude, longitude: media.longitude },
        },
      ];
    case "venue":
      return [
        {
          ...other("venue"),
          kind: "location",
          location: {
            latitude: media.location.latitude,
            longitude: media.location.longitude,
            title: media.title,
          },
        },
      ];
    case "contact":
      return [
        {
          ...other("contact"),
          kind: "contact",
          contact: {
            phone: media.phoneNumber,
            firstName: media.firstName,
            lastName: media.lastName,
            userId: media.userId || null,
          },
        },
      ];
    case "webpage":
      return [];
    default:
      return [other(media.type)];
  }
}

/** A chat's ref: the user id and the account's access hash to them (stable for the account). */
export function chatRefOf(user: User): string {
  const hash = user.isMin ? undefined : user.raw.accessHash;
  return hash ? `u:${user.id}:${hash.toString()}` : `u:${user.id}`;
}

/** The input peer a ref names, or null when it carries no access hash. */
export function peerOfChatRef(chatId: number, ref: string): tl.RawInputPeerUser | null {
  const match = /^u:(\d+)(?::(-?\d+))?$/.exec(ref);
  if (!match || Number(match[1]) !== chatId)
    throw new TelegramUserError("other", `The chatRef does not belong to chat ${chatId}.`);
  if (!match[2]) return null;
  return { _: "inputPeerUser", userId: chatId, accessHash: Long.fromString(match[2]) };
}

/**
 * Whether a message goes to `onMessage`: only what another person wrote in a private chat.
 * The "Telegram" service chat is left out above all: it carries login codes.
 */
export function isRoutable(message: Message, isEdit: boolean, selfId: number | null): boolean {
  if (message.isScheduled || message.isService || message.isOutgoing) return false;
  // Before `message.chat`, which needs the chat in the update's peers (a group's may be missing).
  if (message.raw.peerId._ !== "peerUser") return false;
  const chat = message.chat;
  if (chat.type !== "user") return false;
  if (chat.id === selfId || chat.id === TELEGRAM_SERVICE_USER_ID) return false;
  if (message.sender.id === TELEGRAM_SERVICE_USER_ID) return false;
  // Reactions and filled-in link previews come as edits too, without an edit date.
  if (isEdit && message.editDate === null) return false;
  return true;
}

const orNull = (s: string | null | undefined) => (s ? s : null);

/** A private message as the port delivers it. Call only for what {@link isRoutable} accepts. */
export function toUserInboundMessage(message: Message, isEdit: boolean): TUserInboundMessage {
  const chat = message.chat;
  if (chat.type !== "user") throw new TelegramUserError("other", "Not a private chat.");
  const sender = message.sender.type === "user" ? message.sender : chat;
  const reply = message.replyToMessage;
  return {
    chat: { id: chat.id, isPrivate: true, ref: chatRefOf(chat) },
    sender: {
      id: sender.id,
      firstName: orNull(sender.firstName),
      lastName: orNull(sender.lastName),
      username: orNull(sender.username),
      language: orNull(sender.language),
      // mtcute's boolean getters give Telegram's absent flags as undefined.
      isBot: sender.isBot === true,
    },
    messageId: message.id,
    date: message.date,
    text: message.text,
    replyToMessageId: reply?.originIs("same_chat") ? reply.id : null,
    mediaGroupId: message.groupedId?.toString() ?? null,
    isEdited: isEdit,
    editDate: message.editDate,
    media: mediaOf(message),
  };
}

/** Removes TL objects mtcute may dump into a log line (a request can carry a code). */
/**
 * One log line of mtcute's as we keep it: its first line (no stack), without TL objects it may
 * dump (a request can carry a login code), clipped.
 */
export function redactLogLine(line: string): string {
  const firstLine = line.split("\n", 1)[0] ?? "";
  const at = firstLine.indexOf('{"_":');
  return (at < 0 ? firstLine : `${firstLine.slice(0, at)}[TL object withheld]`).slice(0, 500);
}

/** Says whether a line was said within the last minute (mtcute repeats itself on every reconnect). */
function createRepeatFilter(intervalMs = REPEAT_LOG_MS) {
  const seen = new Map<string, number>();
  return (line: string) => {
    const now = Date.now();
    const at = seen.get(line);
    if (at !== undefined && now - at < intervalMs) return true;
    if (seen.size > 100) seen.clear();
    seen.set(line, now);
    return false;
  };
}

/**
 * mtcute's Node platform, with its console logging routed to our logger and without its exit
 * hooks (they kill the process on SIGTERM, before the server's own graceful shutdown).
 */
class HelpdeskNodePlatform extends NodePlatform {
  private readonly isRepeat = createRepeatFilter();

  constructor(
    private readonly logger: TTelegramUserLogger | undefined,
    private readonly level: number,
  ) {
    super();
  }

  override log = (_color: number, level: number, tag: string, fmt: string, args: unknown[]) => {
    const logger = this.logger;
    if (!logger || level > this.level) return;
    const line = redactLogLine(format(fmt, ...args));
    if (this.isRepeat(line)) return;
    const fields = { mtcute: tag };
    if (level <= LOG_LEVELS.error) logger.error(fields, line);
    else if (level === LOG_LEVELS.warn) logger.warn(fields, line);
    else logger.info(fields, line);
  };

  override beforeExit = () => () => {};

  override getDefaultLogLevel() {
    return this.level;
  }
}

type TLoginStep = { phone: string; phoneCodeHash: string; sentAt: number; sent: TSentCode };
type TState = "new" | "login" | "password" | "ready" | "closed";

/**
 * The port over mtcute's `TelegramClient` (Node), with an in-memory storage: the session comes
 * in and goes out as mtcute's session string, the updates state as four numbers, and peers are
 * learnt again from each run's updates (or from a chat's ref).
 */
export class MtcuteTelegramUserClient implements TTelegramUserClient {
  private readonly tg: TelegramClient;
  private readonly settings: typeof DEFAULTS;
  private state: TState = "new";
  private login: TLoginStep | null = null;
  private me: TUserIdentity | null = null;
  private sessionEnd: TelegramUserError | null = null;
  private readonly closing = new AbortController();
  private sessionCheck: NodeJS.Timeout | undefined;
  private readonly messageHandlers = new Set<(m: TUserInboundMessage) => void | Promise<void>>();
  private readonly sessionEndHandlers = new Set<(e: TelegramUserError) => void>();
  private inbound: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private settledState: TUserUpdatesState | null = null;
  private readonly isRepeatedProblem = createRepeatFilter();

  constructor(private readonly options: TMtcuteTelegramUserOptions) {
    this.settings = {
      floodSleepThresholdS: options.floodSleepThresholdS ?? DEFAULTS.floodSleepThresholdS,
      callTimeoutMs: options.callTimeoutMs ?? DEFAULTS.callTimeoutMs,
      transferTimeoutMs: options.transferTimeoutMs ?? DEFAULTS.transferTimeoutMs,
      sessionCheckIntervalMs: options.sessionCheckIntervalMs ?? DEFAULTS.sessionCheckIntervalMs,
      deviceModel: options.deviceModel ?? DEFAULTS.deviceModel,
    };
    this.settledState = options.updatesState ?? null;
    this.tg = new TelegramClient(this.mtcuteOptions());
    this.tg.onNewMessage.add((m) => this.route(m, false));
    this.tg.onEditMessage.add((m) => this.route(m, true));
    this.tg.onError.add((e) => this.noteProblem(e));
  }

  /** The mtcute client, for tests only: the driver goes through the port. */
  get mtcuteForTests(): TelegramClient {
    return this.tg;
  }

  private mtcuteOptions(): TelegramClientOptions {
    const { options, settings } = this;
    const level = options.logger ? LOG_LEVELS[options.logLevel ?? "warn"] : LOG_LEVELS.off;
    const dc = options.initialDc
      ? { ...options.initialDc, ...(options.testServers ? { testMode: true } : {}) }
      : undefined;
    return {
      apiId: options.apiId,
      apiHash: options.apiHash,
      storage: new MemoryStorage(),
      // mtcute's cleanup hooks SIGINT/SIGTERM and re-kills the process: the server shuts down itself.
      storageOptions: { cleanup: false },
      platform: new HelpdeskNodePlatform(options.logger, level),
      logLevel: level,
      testMode: options.testServers ?? false,
      ...(dc ? { defaultDcs: { main: dc, media: dc } } : {}),
      initConnectionOptions: {
        deviceModel: settings.deviceModel,
        appVersion: "1.0",
        systemVersion: "server",
      },
      // Catching up needs a position to start from; each message of an album comes on its own.
      updates: { catchUp: Boolean(options.updatesState), messageGroupingInterval: 0 },
      network: {
        middlewares: [
          this.watchSession,
          ...networkMiddlewares.basic({
            floodWaiter: { maxWait: settings.floodSleepThresholdS * 1000, maxRetries: 3 },
            internalErrors: { maxRetries: INTERNAL_ERROR_RETRIES },
          }),
          ...(options.innerMiddlewares ?? []),
        ],
      },
    };
  }

  /**
   * Sees every RPC's final answer (after mtcute's own retries), the updates loop's included,
   * so a session Telegram ended is noticed whoever asked.
   */
  private readonly watchSession: RpcCallMiddleware = async (ctx, next) => {
    const result = await next(ctx);
    if (isTlRpcError(result) && SESSION_END_ERRORS[result.errorMessage])
      this.endSession(fromRpcError(tl.RpcError.fromTl(result)));
    return result;
  };

  // ---- lifecycle

  async connect(): Promise<void> {
    if (this.state !== "new") throw this.stateError("connect() was called already.");
    const session = this.options.session;
    if (!session) {
      await this.call(async (signal) => {
        await this.tg.connect();
        // mtcute's connect() returns before any byte went through: this proves the way is open.
        await this.tg.call({ _: "help.getNearestDc" }, { abortSignal: signal });
      });
      this.state = "login";
      return;
    }
    try {
      readStringSession(session);
    } catch (error) {
      throw new TelegramUserError("other", "The stored session is not a session string of this client.", {
        cause: error,
      });
    }
    await this.call(async (signal) => {
      if (this.options.updatesState) await this.seedUpdatesState(this.options.updatesState);
      await this.tg.importSession(session);
      const [self] = await this.tg.call(
        { _: "users.getUsers", id: [{ _: "inputUserSelf" }] },
        { abortSignal: signal },
      );
      if (self?._ !== "user")
        throw new TelegramUserError("session_revoked", undefined, { telegramError: "userEmpty" });
      this.me = toUserIdentity(new User(self));
      // Ready before the updates start, so the first caught-up message is not dropped.
      this.becomeReady();
      // What mtcute's start() does after getMe: the session is live, updates (and catch-up) begin.
      await this.tg.notifyLoggedIn(self);
    });
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    clearInterval(this.sessionCheck);
    this.closing.abort();
    await this.tg.destroy().catch((error: unknown) => this.log("warn", "mtcute destroy failed", error));
  }

  // ---- login

  async sendCode(phone: string): Promise<TSentCode> {
    if (this.state !== "login" && this.state !== "password") throw this.stateError("Not a login client.");
    this.login = null;
    this.state = "login";
    const sent = await this.call((signal) => this.tg.sendCode({ phone, abortSignal: signal }));
    if (!(sent instanceof SentCode))
      throw new TelegramUserError(
        "other",
        "Telegram signed in without a code, which this client never asks for.",
      );
    return this.rememberCode(phone, sent);
  }

  async resendCode(): Promise<TSentCode> {
    const login = this.requireCode();
    if (!login.sent.canResend) throw new TelegramUserError("other", NO_OTHER_WAY);
    const waitMs = login.sentAt + login.sent.timeoutS * 1000 - Date.now();
    if (waitMs > 0)
      throw new TelegramUserError("flood_wait", undefined, { seconds: Math.ceil(waitMs / 1000) });
    const sent = await this.call((signal) =>
      this.tg.resendCode({ phone: login.phone, phoneCodeHash: login.phoneCodeHash, abortSignal: signal }),
    );
    return this.rememberCode(login.phone, sent);
  }

  async signIn(code: string): Promise<TSignInResult> {
    const login = this.requireCode();
    const outcome = await this.call(async (signal) => {
      try {
        const user = await this.tg.signIn({
          phone: login.phone,
          phoneCodeHash: login.phoneCodeHash,
          phoneCode: code.trim(),
          abortSignal: signal,
        });
        return { user };
      } catch (error) {
        if (tl.RpcError.is(error, "SESSION_PASSWORD_NEEDED")) {
          const password = await this.tg.call({ _: "account.getPassword" }, { abortSignal: signal });
          return { hint: password.hint ?? null };
        }
        // mtcute's answer to auth.authorizationSignUpRequired.
        if (error instanceof MtUnsupportedError)
          throw new TelegramUserError("other", NO_ACCOUNT, { cause: error });
        throw error;
      }
    });
    if ("hint" in outcome) {
      this.state = "password";
      return { status: "password_needed", hint: outcome.hint ?? null };
    }
    return { status: "ok", me: this.loggedIn(outcome.user) };
  }

  async checkPassword(password: string): Promise<TUserIdentity> {
    if (this.state !== "password") throw this.stateError("Telegram has not asked for a password.");
    const user = await this.call((signal) => this.tg.checkPassword({ password, abortSignal: signal }));
    return this.loggedIn(user);
  }

  async exportSession(): Promise<string> {
    this.requireReady();
    return this.call(() => this.tg.exportSession());
  }

  private rememberCode(phone: string, sent: SentCode): TSentCode {
    if (sent.type === "email_required")
      throw new TelegramUserError(
        "other",
        "Telegram asks this account to set up a login e-mail first. Do it in an official Telegram app, then try again.",
      );
    const mapped = toSentCode(sent);
    this.login = { phone, phoneCodeHash: sent.phoneCodeHash, sentAt: Date.now(), sent: mapped };
    return mapped;
  }

  private requireCode(): TLoginStep {
    if (this.state !== "login" || !this.login) throw this.stateError("Ask for a code first (sendCode).");
    return this.login;
  }

  private loggedIn(user: User): TUserIdentity {
    this.login = null;
    this.me = toUserIdentity(user);
    this.becomeReady();
    return this.me;
  }

  // ---- a running account

  async getMe(): Promise<TUserIdentity> {
    this.requireReady();
    const [self] = await this.call((signal) =>
      this.tg.call({ _: "users.getUsers", id: [{ _: "inputUserSelf" }] }, { abortSignal: signal }),
    );
    if (self?._ !== "user")
      throw new TelegramUserError("session_revoked", undefined, { telegramError: "userEmpty" });
    this.me = toUserIdentity(new User(self));
    return this.me;
  }

  async getUpdatesState(): Promise<TUserUpdatesState | null> {
    // While a handler runs, the stored position may already include its message.
    if (this.inFlight > 0) return this.settledState;
    await this.captureSettledState();
    return this.settledState;
  }

  onMessage(handler: (message: TUserInboundMessage) => void | Promise<void>): () => void {
    this.messageHandlers.add(handler);
    return () => this.messageHandlers.delete(handler);
  }

  onSessionEnd(handler: (error: TelegramUserError) => void): () => void {
    this.sessionEndHandlers.add(handler);
    return () => this.sessionEndHandlers.delete(handler);
  }

  async downloadMedia(handle: string, maxBytes: number): Promise<Buffer> {
    this.requireReady();
    const ref = decodeMediaHandle(handle);
    if (ref.s !== null && ref.s > maxBytes) throw tooLarge(maxBytes, ref.s);
    // Aborting is the only way to stop mtcute's parallel part fetchers.
    const stop = new AbortController();
    const signal = AbortSignal.any([stop.signal, this.signal(this.settings.transferTimeoutMs)]);
    const chunks: Uint8Array[] = [];
    let size = 0;
    await this.call(async () => {
      const parts = this.tg.downloadAsIterable(ref.f, {
        ...(ref.d !== null ? { dcId: ref.d } : {}),
        ...(ref.s !== null ? { fileSize: ref.s } : {}),
        abortSignal: signal,
        stallTimeout: DOWNLOAD_STALL_MS,
      });
      for await (const chunk of parts) {
        size += chunk.length;
        if (size > maxBytes) {
          stop.abort();
          throw tooLarge(maxBytes);
        }
        chunks.push(chunk);
      }
    });
    return Buffer.concat(chunks);
  }

  async sendText(chatId: number, text: string, options: TUserSendOptions = {}): Promise<number> {
    this.requireReady();
    const peer = this.peerOf(chatId, options.chatRef);
    const sent = await this.call((signal) =>
      this.tg.sendText(peer, text, { ...replyParams(options), abortSignal: signal }),
    );
    return sent.id;
  }

  async sendFile(chatId: number, file: TUserOutboundFile, options: TUserSendOptions = {}): Promise<number> {
    this.requireReady();
    const peer = this.peerOf(chatId, options.chatRef);
    const media = InputMedia.document(file.bytes, {
      fileName: file.filename,
      fileMime: file.mime,
      fileSize: file.bytes.length,
      ...(file.caption ? { caption: file.caption } : {}),
    });
    const sent = await this.call(
      (signal) => this.tg.sendMedia(peer, media, { ...replyParams(options), abortSignal: signal }),
      this.settings.transferTimeoutMs,
    );
    return sent.id;
  }

  private peerOf(chatId: number, chatRef: string | undefined): tl.RawInputPeerUser | number {
    return (chatRef ? peerOfChatRef(chatId, chatRef) : null) ?? chatId;
  }

  // ---- inbound

  /** From mtcute's update stream to the handlers, one message at a time, in order. */
  private route(message: Message, isEdit: boolean) {
    if (this.state !== "ready") return;
    let inbound: TUserInboundMessage;
    try {
      if (!isRoutable(message, isEdit, this.me?.id ?? null)) return;
      inbound = toUserInboundMessage(message, isEdit);
    } catch (error) {
      this.log("error", "a Telegram message could not be read", error, { messageId: message.id });
      return;
    }
    this.inFlight += 1;
    this.inbound = this.inbound
      .then(() => this.runHandlers(inbound))
      .then(() => {
        this.inFlight -= 1;
        if (this.inFlight === 0) return this.captureSettledState();
      });
  }

  private async runHandlers(message: TUserInboundMessage) {
    for (const handler of [...this.messageHandlers]) {
      if (this.state === "closed") return;
      try {
        await handler(message);
      } catch (error) {
        this.log("error", "a Telegram message handler failed", error, {
          chatId: message.chat.id,
          messageId: message.messageId,
        });
      }
    }
  }

  /** The stored position, read when every delivered message has been handled. */
  private async captureSettledState() {
    try {
      const state = await this.tg.storage.updates.getState();
      if (state) this.settledState = { pts: state[0], qts: state[1], date: state[2], seq: state[3] };
    } catch (error) {
      this.log("warn", "could not read the updates state", error);
    }
  }

  /** Puts a saved position where mtcute's updates manager loads it from (before importSession). */
  private async seedUpdatesState(state: TUserUpdatesState) {
    const { updates } = this.tg.storage;
    await updates.setPts(state.pts);
    await updates.setQts(state.qts);
    await updates.setDate(state.date);
    await updates.setSeq(state.seq);
  }

  // ---- session

  private becomeReady() {
    this.state = "ready";
    // Telegram does not push a revocation: the next request fails. A cheap one now and then
    // (updates.getState) finds out while the account is quiet.
    this.sessionCheck = setInterval(() => {
      void this.tg
        .call({ _: "updates.getState" }, { abortSignal: this.signal() })
        .catch((error: unknown) => this.log("debug", "session check failed", error));
    }, this.settings.sessionCheckIntervalMs);
    this.sessionCheck.unref();
  }

  private endSession(error: TelegramUserError) {
    if (this.state !== "ready" || this.sessionEnd) return;
    this.sessionEnd = error;
    clearInterval(this.sessionCheck);
    this.log("warn", "Telegram ended the session", undefined, {
      code: error.code,
      telegram: error.telegramError,
    });
    for (const handler of [...this.sessionEndHandlers]) {
      try {
        handler(error);
      } catch (handlerError) {
        this.log("error", "a session-end handler failed", handlerError);
      }
    }
  }

  private requireReady() {
    if (this.sessionEnd) throw this.sessionEnd;
    if (this.state !== "ready")
      throw new TelegramUserError("session_revoked", "This Telegram client is not logged in.");
  }

  // ---- plumbing

  /** The client's close plus a deadline: mtcute waits for a connection forever. */
  private signal(timeoutMs = this.settings.callTimeoutMs): AbortSignal {
    return AbortSignal.any([this.closing.signal, AbortSignal.timeout(timeoutMs)]);
  }

  /** Runs calls to Telegram under a deadline and turns what they throw into the port's error. */
  private async call<T>(fn: (signal: AbortSignal) => Promise<T>, timeoutMs?: number): Promise<T> {
    if (this.state === "closed") throw new TelegramUserError("other", "This Telegram client is closed.");
    try {
      return await fn(this.signal(timeoutMs));
    } catch (error) {
      const mapped = toTelegramUserError(error);
      if (mapped.code === "session_revoked" || mapped.code === "auth_key_duplicated") this.endSession(mapped);
      throw mapped;
    }
  }

  private stateError(message: string) {
    if (this.state === "closed") return new TelegramUserError("other", "This Telegram client is closed.");
    return new TelegramUserError("other", message);
  }

  /** mtcute reconnects by itself; its complaint meanwhile is logged once a minute at most. */
  private noteProblem(error: Error) {
    if (this.isRepeatedProblem(error.message)) return;
    this.log("warn", "Telegram connection trouble", error);
  }

  private log(
    level: keyof TTelegramUserLogger,
    message: string,
    error?: unknown,
    fields: Record<string, unknown> = {},
  ) {
    // An Error goes as `err` (pino serialises it); neither mtcute's nor ours carry secrets.
    const err = error === undefined ? {} : { err: error };
    this.options.logger?.[level]({ ...fields, ...err }, `Telegram account: ${message}`);
  }
}

const tooLarge = (maxBytes: number, size?: number) =>
  new TelegramUserError(
    "file_too_large",
    `The file is larger than ${maxBytes} bytes${size === undefined ? "" : ` (${size} bytes)`}; it was not fetched.`,
  );

const replyParams = (options: TUserSendOptions) =>
  options.replyTo === undefined ? {} : { replyTo: options.replyTo };

/** The production factory of the port. */
export const createMtcuteTelegramUserClient: TCreateTelegramUserClient = (options) =>
  new MtcuteTelegramUserClient(options);
