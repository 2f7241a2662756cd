/**
 * # Personal Telegram accounts: the MTProto layer
 *
 * A personal account (a phone number, not a bot) speaks MTProto, Telegram's own protocol. This
 * file is the port the channel driver, the admin API and their tests use; it knows nothing of
 * the library. `telegram-user.mtcute.ts` implements it over mtcute (`@mtcute/node` 0.30.3), and
 * `server/test/telegram/fake-user-client.ts` is a scripted fake for tests.
 *
 * ## The app's credentials
 *
 * Every MTProto client is an "application" with an `api_id` and an `api_hash`. The admin gets a
 * pair at https://my.telegram.org: log in with the phone number, open "API development tools",
 * create an application (any title and short name; platform "Other"). The pair is not a secret
 * in the cryptographic sense, but Telegram bans pairs that leak and are abused: seal `api_hash`
 * with the account's config anyway.
 *
 * ## Logging in
 *
 * All steps run on ONE client instance (`createClient({ apiId, apiHash })`, then `connect()`),
 * because the code Telegram sends is bound to the auth key of the connection that asked for it
 * (`phone_code_hash`): a second client, or a restarted process, cannot finish the login.
 *
 * 1. `sendCode(phone)`: Telegram sends a code and says how ({@link TSentCode}). `type: "app"`
 *    means a message in the account's other Telegram apps (from the "Telegram" service chat),
 *    `sms`, `call`, `flash_call`, `missed_call`… are the others. `length` is the number of
 *    digits when Telegram tells it.
 * 2. "Send it another way" is `resendCode()`: possible only when `canResend` (Telegram named a
 *    `nextType`) and only after `timeoutS` seconds; earlier it throws `flood_wait` with the
 *    seconds left. Telegram switches to `nextType` (app → SMS → call…).
 * 3. `signIn(code)`: `{ status: "ok", me }`, or `{ status: "password_needed", hint }` when the
 *    account has two-step verification; then `checkPassword(password)` gives `me`.
 *    A wrong code is `phone_code_invalid` (try again on the same client), an old one
 *    `phone_code_expired` (send a new one).
 * 4. `exportSession()` gives the session string. Store it sealed (it IS the login: whoever has
 *    it reads and writes as the account), then `close()` the login client.
 *
 * Codes, passwords and session strings are never logged, by this layer or by the adapter.
 *
 * ## Running an account
 *
 * `createClient({ apiId, apiHash, session, updatesState })`, then `connect()`: it checks the
 * session with Telegram (`getMe`) and starts receiving. Run ONE client per account at a time,
 * under the account's lease: the same session used from two places at once can make Telegram
 * revoke it (`auth_key_duplicated`). Staff replies therefore go through the client that
 * receives, and a login client is closed before a receiver starts from its session.
 *
 * - `onMessage(handler)` gets new and edited messages of private chats, one call at a time in
 *   order of arrival (the next waits for the handler's promise; a handler that throws is logged
 *   and the next message still comes). Register it before `connect()`: caught-up messages may
 *   come at once. Left out: messages the account sent itself (from a phone), its Saved
 *   Messages, service messages, scheduled messages, the "Telegram" service chat (777000: it
 *   carries login codes, which must never become a ticket), and edits without an edit date (a
 *   reaction, a link preview being filled in). Groups and channels are not delivered.
 * - Files are not downloaded with the message: each {@link TUserMedia} has a `handle` for
 *   `downloadMedia(handle, maxBytes)`, which refuses a file over `maxBytes` (`file_too_large`)
 *   without fetching it when the size is known, and stops fetching when it is not.
 * - `sendText` / `sendFile` answer with Telegram's message id. Pass the inbound message's
 *   `chat.ref` as `chatRef`: with it the account reaches the chat even when this client has not
 *   seen it since it started (Telegram needs the account's access hash to the person); without
 *   it only chats seen since `connect()` work.
 * - `onSessionEnd(handler)` fires once when Telegram ends the session while the client runs
 *   (logged out from another device, revoked in Settings → Devices, the account deleted or
 *   banned: `session_revoked`; used in two places: `auth_key_duplicated`). After it every call
 *   throws the same error; close the client and ask the admin to log in again.
 *
 * ## Errors and waits
 *
 * Everything throws {@link TelegramUserError}; its `code` is what to branch on (the list is
 * {@link TELEGRAM_USER_ERROR_CODES}), `telegramError` keeps Telegram's own text for the log.
 * A FLOOD_WAIT of a few seconds (5 by default) is waited out and the call retried; a longer one
 * throws `flood_wait` with `seconds` at once, and later calls of the same method during that
 * wait throw it too without asking Telegram. Every call has a deadline (30 s; 5 min for a
 * download or an upload, which wait out their own flood waits within it): an unreachable
 * Telegram is `network`, never a call that hangs. Telegram's internal errors are retried a few
 * times, then `network`.
 *
 * ## What is stored
 *
 * - The session string: a secret (see above). Nothing else in it is needed to run.
 * - The updates state (`getUpdatesState()`: `pts`, `qts`, `date`, `seq`): not a secret; keep it
 *   in the account's cursor. Given back to `createClient`, the client first fetches what was
 *   missed while no client ran (Telegram's getDifference), so a restart or a lease handover
 *   loses no message. It is taken only when no handler is running, so it never points past a
 *   message a handler has not finished; a repeat after a crash is possible (dedupe by chat and
 *   message id). Drop it when the session changes (another login).
 * - Per chat, `chatRef`: not a secret, stable for the account; keep it with the thread binding.
 * - Media handles: not secrets; they carry Telegram's file reference, which expires after a
 *   while (hours to days): download soon after the message arrives.
 *
 * ## Trying a real account by hand
 *
 * Telegram's servers must be reachable from the machine (TCP to 149.154.160.0/20 and friends,
 * ports 443/80). With `api_id`/`api_hash` from my.telegram.org, in `npx tsx` from `server/`:
 *
 * ```ts
 * const { pino } = await import("pino");
 * const { createMtcuteTelegramUserClient } = await import("./src/channels/telegram-user/telegram-user.mtcute.js");
 * const tg = createMtcuteTelegramUserClient({ apiId: 123456, apiHash: "0123…", logger: pino() });
 * await tg.connect();
 * await tg.sendCode("+447700900123");          // → { type: "app", nextType: "sms", timeoutS: 60, … }
 * await tg.signIn("12345");                     // → ok, or password_needed → tg.checkPassword("…")
 * const session = await tg.exportSession();     // keep it somewhere private
 * let last;
 * tg.onMessage((m) => { last = m; console.log(m); });  // write to the account from another one
 * await tg.sendText(last.chat.id, "hello", { chatRef: last.chat.ref, replyTo: last.messageId });
 * await tg.close();                             // later: createMtcuteTelegramUserClient({ …, session })
 * ```
 *
 * What to check: the code arrives the way `type` says; `resendCode()` before `timeoutS` throws
 * `flood_wait`, after it the code comes by `nextType`; a wrong code throws `phone_code_invalid`
 * and the right one still works after it; with two-step verification `password_needed` carries
 * the hint and a wrong password throws `password_invalid`; the session shows in Telegram under
 * Settings → Devices as "Helpdesk"; a photo, a document, a voice note, a reply, an edit and an
 * album arrive as described; a client restarted with the saved session and updates state gets
 * the messages written while it was down; terminating the session in Settings → Devices fires
 * `onSessionEnd` with `session_revoked` (the adapter asks Telegram every 2 minutes).
 *
 * Without risking a real number, use Telegram's test servers: `testServers: true`, a phone
 * number `99966XYYYY` (X: the test DC, 1 to 3; YYYY: any digits; mtcute starts on test DC 2, so
 * `9996621234`), and the code is X five times (`22222`). Test accounts are wiped now and then.
 * A real account logged in from an unofficial app and then used to message many strangers may
 * be limited or banned by Telegram: use a number you can afford to lose.
 */

export const TELEGRAM_USER_ERROR_CODES = [
  "phone_code_invalid",
  "phone_code_expired",
  "password_invalid",
  "flood_wait",
  "phone_number_flood",
  "phone_number_banned",
  "phone_number_invalid",
  "session_revoked",
  "auth_key_duplicated",
  "file_too_large",
  "network",
  "other",
] as const;
export type TTelegramUserErrorCode = (typeof TELEGRAM_USER_ERROR_CODES)[number];

/** What each code means, as the admin reads it when nothing more specific is known. */
const DEFAULT_MESSAGES: Record<TTelegramUserErrorCode, string> = {
  phone_code_invalid: "The login code is not right. Check the code Telegram sent and try again.",
  phone_code_expired: "The login code has expired. Ask Telegram for a new one.",
  password_invalid: "The two-step verification password is not right.",
  flood_wait: "Telegram asks to wait before trying again.",
  phone_number_flood:
    "Telegram refuses more login attempts for this phone number for now. Try again later (often after a day).",
  phone_number_banned: "Telegram has banned this phone number.",
  phone_number_invalid:
    "Telegram does not accept this phone number. Write it in international format, such as +44 7700 900123.",
  session_revoked:
    "The Telegram session has ended (logged out from another device or revoked). Log the account in again.",
  auth_key_duplicated:
    "Telegram ended the session because it was used from two places at once. Log the account in again and run it in one place only.",
  file_too_large: "The file is larger than allowed.",
  network: "Telegram could not be reached.",
  other: "Telegram refused the request.",
};

/**
 * The one error of this layer. `code` is what callers branch on (the HTTP layer translates it);
 * the message is English for logs and the account's last error, and never contains a code, a
 * password or a session string.
 */
export class TelegramUserError extends Error {
  readonly code: TTelegramUserErrorCode;
  /** `flood_wait`: how many seconds Telegram asks to wait. */
  readonly seconds: number | undefined;
  /** Telegram's own error text when there was one (`PHONE_CODE_INVALID`, `FLOOD_WAIT_42`), for logs. */
  readonly telegramError: string | undefined;

  constructor(
    code: TTelegramUserErrorCode,
    message?: string,
    details: { seconds?: number; telegramError?: string; cause?: unknown } = {},
  ) {
    super(message ?? defaultTelegramUserMessage(code, details.seconds), { cause: details.cause });
    this.name = "TelegramUserError";
    this.code = code;
    this.seconds = details.seconds;
    this.telegramError = details.telegramError;
  }
}

/** The default message of a code (with the wait of a `flood_wait`). */
export function defaultTelegramUserMessage(code: TTelegramUserErrorCode, seconds?: number): string {
  if (code === "flood_wait" && seconds !== undefined)
    return `Telegram asks to wait ${seconds} s before trying again.`;
  return DEFAULT_MESSAGES[code];
}

export const isTelegramUserError = (error: unknown): error is TelegramUserError =>
  error instanceof TelegramUserError;

/**
 * How Telegram delivered a login code: in the account's Telegram apps, by SMS, by a voice call,
 * as the last digits of a calling number (`flash_call`, `missed_call`), by e-mail, through
 * Fragment; `other` for ways this layer does not name.
 */
export type TCodeDelivery =
  | "app"
  | "sms"
  | "call"
  | "flash_call"
  | "missed_call"
  | "email"
  | "fragment"
  | "other";

/** Telegram's answer to sendCode / resendCode. */
export type TSentCode = {
  type: TCodeDelivery;
  /** How `resendCode()` would send it; `none`: no other way. */
  nextType: Exclude<TCodeDelivery, "app"> | "none";
  /** Seconds to wait before `resendCode()` may be asked (0: at once). */
  timeoutS: number;
  /** Whether `resendCode()` is possible at all (after `timeoutS`). */
  canResend: boolean;
  /** Digits in the code, when Telegram says. */
  length?: number;
};

/** The logged-in account. */
export type TUserIdentity = {
  id: number;
  firstName: string;
  lastName: string | null;
  username: string | null;
  /** Digits without "+", as Telegram gives it. */
  phone: string | null;
};

export type TSignInResult =
  | { status: "ok"; me: TUserIdentity }
  | { status: "password_needed"; hint: string | null };

export type TUserMediaKind =
  | "photo"
  | "video"
  | "document"
  | "voice"
  | "audio"
  | "sticker"
  | "location"
  | "contact"
  | "other";

/** One thing attached to a message. */
export type TUserMedia = {
  kind: TUserMediaKind;
  /** The sender's file name; null when Telegram gives none (photos, voice notes, most videos). */
  fileName: string | null;
  mime: string | null;
  /** Bytes, when Telegram says. */
  size: number | null;
  /** For `downloadMedia`; null when there is nothing to download (a location, a contact, `other`). */
  handle: string | null;
  /** `location` (and a venue, with its title). */
  location?: { latitude: number; longitude: number; title?: string };
  /** `contact`: a contact card; `userId` when the person is on Telegram. */
  contact?: { phone: string; firstName: string; lastName: string; userId: number | null };
  /** `other`: which Telegram media it is (`poll`, `dice`, `game`, `invoice`…), for a note. */
  telegramType?: string;
};

/** A message someone wrote to the account, or an edit of one. */
export type TUserInboundMessage = {
  chat: {
    /** Telegram's chat id: in a private chat, the other person's user id. */
    id: number;
    /** Always true today: only private chats are delivered. */
    isPrivate: boolean;
    /** What `sendText`/`sendFile` need to reach this chat after a restart; keep it with the binding. */
    ref: string;
  };
  sender: {
    id: number;
    firstName: string | null;
    lastName: string | null;
    username: string | null;
    /** The sender's app language (`ru`, `en-GB`), when Telegram tells it (rarely, to user accounts). */
    language: string | null;
    isBot: boolean;
  };
  /** Unique within the chat; an edit has the id of the message it changes. */
  messageId: number;
  date: Date;
  /** The text, or the caption of a file. */
  text: string;
  /** The message in the same chat this one answers. */
  replyToMessageId: number | null;
  /** Messages sent together as an album share it (unique within the chat). */
  mediaGroupId: string | null;
  /** Whether this is an edit of an earlier message (then `editDate` says when). */
  isEdited: boolean;
  editDate: Date | null;
  media: TUserMedia[];
};

/** Where the receiver is in the account's update stream (see "What is stored"). */
export type TUserUpdatesState = { pts: number; qts: number; date: number; seq: number };

export type TUserSendOptions = {
  /** Answer this message of the chat. */
  replyTo?: number;
  /** The chat's `chat.ref` from an inbound message. */
  chatRef?: string;
};

/** A file to send; it arrives as a document with this name. */
export type TUserOutboundFile = {
  bytes: Buffer;
  filename: string;
  mime: string;
  /** At most 1024 characters (Telegram's limit for an account without Premium). */
  caption?: string;
};

/** Where the layer logs (a pino logger fits). Never given codes, passwords or session strings. */
export type TTelegramUserLogger = {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
};

export type TTelegramUserClientOptions = {
  /** From my.telegram.org. */
  apiId: number;
  apiHash: string;
  /** A stored session; without it the client can only log in. */
  session?: string;
  /** The saved position; with it the client first fetches what was missed. */
  updatesState?: TUserUpdatesState | null;
  logger?: TTelegramUserLogger;
  /** Telegram's test servers (see "Trying a real account by hand"). For developers. */
  testServers?: boolean;
  /** The data centre to connect to first, instead of Telegram's default. For developers. */
  initialDc?: { id: number; ipAddress: string; port: number };
};

/**
 * One personal account's connection to Telegram. Every method throws {@link TelegramUserError}
 * only; calls that need a login throw `session_revoked` on a client that has none.
 */
export type TTelegramUserClient = {
  /** Connects; with a session, also checks it with Telegram and starts receiving. */
  connect(): Promise<void>;
  /** Disconnects and frees everything; no handler is called after it. Safe to call twice. */
  close(): Promise<void>;

  /** Login step 1 (see the module's doc). Again with another phone starts over. */
  sendCode(phone: string): Promise<TSentCode>;
  /** Sends the code again by `nextType`; `flood_wait` before `timeoutS` has passed. */
  resendCode(): Promise<TSentCode>;
  signIn(code: string): Promise<TSignInResult>;
  checkPassword(password: string): Promise<TUserIdentity>;
  /** The session string of the logged-in client (a secret). */
  exportSession(): Promise<string>;

  /** Asks Telegram who the account is. */
  getMe(): Promise<TUserIdentity>;
  /** The position to save, or null before Telegram gave one. */
  getUpdatesState(): Promise<TUserUpdatesState | null>;

  /** New and edited private messages; returns the unsubscribe. */
  onMessage(handler: (message: TUserInboundMessage) => void | Promise<void>): () => void;
  /** Telegram ended the session (fires once); returns the unsubscribe. */
  onSessionEnd(handler: (error: TelegramUserError) => void): () => void;

  downloadMedia(handle: string, maxBytes: number): Promise<Buffer>;
  /** Sends a text (at most 4096 characters: split longer ones) and answers the message id. */
  sendText(chatId: number, text: string, options?: TUserSendOptions): Promise<number>;
  sendFile(chatId: number, file: TUserOutboundFile, options?: TUserSendOptions): Promise<number>;
};

/** What the driver is given: the mtcute adapter in production, the fake in tests. */
export type TCreateTelegramUserClient = (options: TTelegramUserClientOptions) => TTelegramUserClient;
