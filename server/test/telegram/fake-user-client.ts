import {
  type TCodeDelivery,
  type TCreateTelegramUserClient,
  TelegramUserError,
  type TSentCode,
  type TSignInResult,
  type TTelegramUserClient,
  type TTelegramUserClientOptions,
  type TTelegramUserErrorCode,
  type TUserIdentity,
  type TUserInboundMessage,
  type TUserMedia,
  type TUserOutboundFile,
  type TUserSendOptions,
  type TUserUpdatesState,
} from "../../src/channels/telegram-user/telegram-user.port.js";

/** The one account the fake Telegram knows, and how its login goes. */
export type TFakeUserAccount = {
  /** Compared by its digits: "+44 7700 900123" and "447700900123" are the same. */
  phone: string;
  /** The right login code. */
  code: string;
  /** The two-step verification password; null: the account has none. */
  password: string | null;
  hint: string | null;
  me: TUserIdentity;
  /** How the code comes: sendCode by the first, each resendCode by the next. */
  deliveries: TCodeDelivery[];
  /** Seconds before resendCode is allowed. */
  resendTimeoutS: number;
  codeLength: number;
};

export type TFakeMethod =
  | "connect"
  | "sendCode"
  | "resendCode"
  | "signIn"
  | "checkPassword"
  | "exportSession"
  | "getMe"
  | "downloadMedia"
  | "sendText"
  | "sendFile";

/** Something a client sent, in order across all clients. */
export type TFakeSent =
  | {
      kind: "text";
      client: number;
      chatId: number;
      text: string;
      options: TUserSendOptions;
      messageId: number;
    }
  | {
      kind: "file";
      client: number;
      chatId: number;
      file: TUserOutboundFile;
      options: TUserSendOptions;
      messageId: number;
    };

/** A message to inject: anything left out gets a default (a private chat with customer 42). */
export type TFakeInbound = Partial<Omit<TUserInboundMessage, "chat" | "sender">> & {
  chat?: Partial<TUserInboundMessage["chat"]>;
  sender?: Partial<TUserInboundMessage["sender"]>;
};

const CUSTOMER = {
  id: 42,
  firstName: "Anna",
  lastName: "Petrova",
  username: "anna_p",
  language: null,
  isBot: false,
};
const TEXT_LIMIT = 4096;
const digits = (phone: string) => phone.replace(/\D/g, "");

/** The ref the fake gives a chat (the adapter's shape: user id and an access hash). */
export const fakeChatRef = (chatId: number) => `u:${chatId}:${chatId * 7919}`;

type TWorld = ReturnType<typeof createWorld>;

function createWorld(account: TFakeUserAccount) {
  return {
    account,
    clients: [] as FakeTelegramUserClient[],
    sent: [] as TFakeSent[],
    /** Sessions Telegram still accepts. */
    sessions: new Set<string>(),
    /** Every message emitted, with its position, for catch-up. */
    log: [] as { pts: number; message: TUserInboundMessage }[],
    files: new Map<string, Buffer>(),
    downloads: [] as { handle: string; maxBytes: number }[],
    failures: new Map<TFakeMethod, TelegramUserError[]>(),
    pts: 0,
    nextInboundId: 1,
    nextSentId: 1000,
    nextSession: 1,
    nextFile: 1,
    codeExpired: false,
  };
}

/**
 * A scripted Telegram for one personal account, and clients of the port over it: the login
 * (which code is right, whether a password is needed, resend timing), sessions (valid until
 * revoked), inbound messages (`emit`, with catch-up from a saved updates state), files, and a
 * record of what was sent. `failNext` makes the next call of a method throw (a flood wait, a
 * network error). Give `createClient` to the driver where it takes a `TCreateTelegramUserClient`.
 */
export function createFakeTelegramUser(script: Partial<TFakeUserAccount> = {}) {
  const account: TFakeUserAccount = {
    phone: "+447700900123",
    code: "12345",
    password: null,
    hint: null,
    me: { id: 1000, firstName: "Support", lastName: null, username: "acme_support", phone: "447700900123" },
    deliveries: ["app", "sms", "call"],
    resendTimeoutS: 0,
    codeLength: 5,
    ...script,
  };
  const world = createWorld(account);

  const createClient: TCreateTelegramUserClient = (options) => {
    const client = new FakeTelegramUserClient(world, options, world.clients.length);
    world.clients.push(client);
    return client;
  };

  /** A full inbound message from a partial one (a new message id unless given). */
  const message = (m: TFakeInbound = {}): TUserInboundMessage => {
    const chatId = m.chat?.id ?? m.sender?.id ?? CUSTOMER.id;
    return {
      messageId: m.messageId ?? world.nextInboundId++,
      date: m.date ?? new Date(),
      text: m.text ?? "",
      replyToMessageId: m.replyToMessageId ?? null,
      mediaGroupId: m.mediaGroupId ?? null,
      isEdited: m.isEdited ?? false,
      editDate: m.editDate ?? (m.isEdited ? new Date() : null),
      media: m.media ?? [],
      chat: { id: chatId, isPrivate: true, ref: fakeChatRef(chatId), ...m.chat },
      sender: { ...CUSTOMER, id: chatId, ...m.sender },
    };
  };

  return {
    account,
    createClient,
    /** Every client created, in order. */
    clients: world.clients,
    sent: world.sent,
    downloads: world.downloads,
    /** Sessions Telegram accepts now. */
    sessions: world.sessions,
    message,

    /** Delivers a message to every running client; resolves once their handlers have finished. */
    async emit(m: TFakeInbound = {}): Promise<TUserInboundMessage> {
      const full = message(m);
      world.pts += 1;
      world.log.push({ pts: world.pts, message: full });
      await Promise.all(world.clients.map((c) => c.deliver(full, world.pts)));
      return full;
    },

    /** A file the account received: put the media in `emit({ media: [...] })`. */
    addFile(bytes: Buffer, meta: Partial<Omit<TUserMedia, "handle" | "size">> = {}): TUserMedia {
      const handle = `fake-file-${world.nextFile++}`;
      world.files.set(handle, bytes);
      return { kind: "document", fileName: null, mime: null, ...meta, size: bytes.length, handle };
    },

    /** Makes the next `times` calls of `method` throw (the call does nothing else). */
    failNext(
      method: TFakeMethod,
      error: TelegramUserError | TTelegramUserErrorCode,
      details: { seconds?: number; times?: number } = {},
    ) {
      const failure =
        error instanceof TelegramUserError
          ? error
          : new TelegramUserError(error, undefined, { seconds: details.seconds });
      const queue = world.failures.get(method) ?? [];
      for (let i = 0; i < (details.times ?? 1); i++) queue.push(failure);
      world.failures.set(method, queue);
    },

    /** The code sent last stops working (`phone_code_expired`) until a new one is sent. */
    expireCode() {
      world.codeExpired = true;
    },

    /**
     * Telegram ends a session (every one when none is named): running clients on it get
     * `onSessionEnd` once and throw from then on; connecting with it throws.
     */
    endSession(code: "session_revoked" | "auth_key_duplicated" = "session_revoked", session?: string) {
      const ended = session ? [session] : [...world.sessions];
      for (const s of ended) world.sessions.delete(s);
      for (const client of world.clients)
        if (client.session && ended.includes(client.session)) client.end(code);
    },

    /** The running clients (connected, logged in, not closed). */
    running: () => world.clients.filter((c) => c.isRunning),
  };
}

export type TFakeTelegramUser = ReturnType<typeof createFakeTelegramUser>;

type TState = "new" | "login" | "password" | "ready" | "closed";

/** One client of the fake; its fields are public for assertions. */
export class FakeTelegramUserClient implements TTelegramUserClient {
  state: TState = "new";
  /** The session it runs on (given, or made by its login). */
  session: string | undefined;
  /** The last position whose messages its handlers finished. */
  settled: TUserUpdatesState | null;
  private code: { hash: number; delivery: number; sentAt: number } | null = null;
  private ended: TelegramUserError | null = null;
  private readonly messageHandlers = new Set<(m: TUserInboundMessage) => void | Promise<void>>();
  private readonly endHandlers = new Set<(e: TelegramUserError) => void>();
  private inbound: Promise<void> = Promise.resolve();

  constructor(
    private readonly world: TWorld,
    readonly options: TTelegramUserClientOptions,
    readonly index: number,
  ) {
    this.session = options.session;
    this.settled = options.updatesState ?? null;
  }

  get isRunning() {
    return this.state === "ready" && !this.ended;
  }

  async connect(): Promise<void> {
    if (this.state !== "new") throw new TelegramUserError("other", "connect() was called already.");
    this.failIfScripted("connect");
    if (!this.session) {
      this.state = "login";
      return;
    }
    if (!this.world.sessions.has(this.session)) throw new TelegramUserError("session_revoked");
    this.state = "ready";
    const from = this.options.updatesState?.pts;
    // Catch-up: what was written after the saved position, as mtcute's getDifference brings it
    // (a moment after connect, as over the network).
    if (from !== undefined)
      setImmediate(() => {
        for (const entry of this.world.log) if (entry.pts > from) void this.deliver(entry.message, entry.pts);
      });
  }

  async close(): Promise<void> {
    this.state = "closed";
  }

  async sendCode(phone: string): Promise<TSentCode> {
    if (this.state !== "login" && this.state !== "password")
      throw new TelegramUserError("other", "Not a login client.");
    this.failIfScripted("sendCode");
    if (digits(phone) !== digits(this.world.account.phone))
      throw new TelegramUserError("phone_number_invalid");
    this.state = "login";
    this.world.codeExpired = false;
    this.code = { hash: (this.code?.hash ?? 0) + 1, delivery: 0, sentAt: Date.now() };
    return this.sentCode();
  }

  async resendCode(): Promise<TSentCode> {
    const code = this.requireCode();
    this.failIfScripted("resendCode");
    if (code.delivery + 1 >= this.world.account.deliveries.length)
      throw new TelegramUserError("other", "Telegram has no other way to send the code.");
    const waitMs = code.sentAt + this.world.account.resendTimeoutS * 1000 - Date.now();
    if (waitMs > 0)
      throw new TelegramUserError("flood_wait", undefined, { seconds: Math.ceil(waitMs / 1000) });
    this.code = { ...code, delivery: code.delivery + 1, sentAt: Date.now() };
    this.world.codeExpired = false;
    return this.sentCode();
  }

  async signIn(code: string): Promise<TSignInResult> {
    this.requireCode();
    this.failIfScripted("signIn");
    if (this.world.codeExpired) throw new TelegramUserError("phone_code_expired");
    if (code.trim() !== this.world.account.code) throw new TelegramUserError("phone_code_invalid");
    if (this.world.account.password !== null) {
      this.state = "password";
      return { status: "password_needed", hint: this.world.account.hint };
    }
    return { status: "ok", me: this.loggedIn() };
  }

  async checkPassword(password: string): Promise<TUserIdentity> {
    if (this.state !== "password")
      throw new TelegramUserError("other", "Telegram has not asked for a password.");
    this.failIfScripted("checkPassword");
    if (password !== this.world.account.password) throw new TelegramUserError("password_invalid");
    return this.loggedIn();
  }

  async exportSession(): Promise<string> {
    this.requireReady();
    this.failIfScripted("exportSession");
    return this.session!;
  }

  async getMe(): Promise<TUserIdentity> {
    this.requireReady();
    this.failIfScripted("getMe");
    return { ...this.world.account.me };
  }

  async getUpdatesState(): Promise<TUserUpdatesState | null> {
    return this.settled;
  }

  onMessage(handler: (message: TUserInboundMessage) => void | Promise<void>): () => void {
    this.messageHandlers.add(handler);
    return () => this.messageHandlers.delete(handler);
  }

  onSessionEnd(handler: (error: TelegramUserError) => void): () => void {
    this.endHandlers.add(handler);
    return () => this.endHandlers.delete(handler);
  }

  async downloadMedia(handle: string, maxBytes: number): Promise<Buffer> {
    this.requireReady();
    this.failIfScripted("downloadMedia");
    this.world.downloads.push({ handle, maxBytes });
    const bytes = this.world.files.get(handle);
    if (!bytes) throw new TelegramUserError("other", "Not a media handle of this account.");
    if (bytes.length > maxBytes)
      throw new TelegramUserError(
        "file_too_large",
        `The file is larger than ${maxBytes} bytes (${bytes.length} bytes).`,
      );
    return Buffer.from(bytes);
  }

  async sendText(chatId: number, text: string, options: TUserSendOptions = {}): Promise<number> {
    this.requireReady();
    this.checkChatRef(chatId, options.chatRef);
    this.failIfScripted("sendText");
    if (text.length > TEXT_LIMIT)
      throw new TelegramUserError("other", "The text is longer than Telegram allows.");
    const messageId = this.world.nextSentId++;
    this.world.sent.push({ kind: "text", client: this.index, chatId, text, options, messageId });
    return messageId;
  }

  async sendFile(chatId: number, file: TUserOutboundFile, options: TUserSendOptions = {}): Promise<number> {
    this.requireReady();
    this.checkChatRef(chatId, options.chatRef);
    this.failIfScripted("sendFile");
    const messageId = this.world.nextSentId++;
    this.world.sent.push({ kind: "file", client: this.index, chatId, file, options, messageId });
    return messageId;
  }

  /** Hands a message to this client's handlers, one at a time, if it runs. */
  deliver(message: TUserInboundMessage, pts: number): Promise<void> {
    if (!this.isRunning) return Promise.resolve();
    this.inbound = this.inbound.then(async () => {
      for (const handler of [...this.messageHandlers]) {
        if (!this.isRunning) return;
        // As the adapter: a failing handler is logged and the next message still comes.
        await Promise.resolve(handler(message)).catch(() => {});
      }
      this.settled = { pts, qts: 0, date: Math.floor(message.date.getTime() / 1000), seq: 0 };
    });
    return this.inbound;
  }

  /** Telegram ended this client's session. */
  end(code: "session_revoked" | "auth_key_duplicated") {
    if (this.state !== "ready" || this.ended) return;
    this.ended = new TelegramUserError(code);
    for (const handler of [...this.endHandlers]) handler(this.ended);
  }

  private sentCode(): TSentCode {
    const { deliveries, resendTimeoutS, codeLength } = this.world.account;
    const at = this.code?.delivery ?? 0;
    const next = deliveries[at + 1];
    return {
      type: deliveries[at] ?? "app",
      nextType: next === undefined ? "none" : next === "app" ? "other" : next,
      timeoutS: resendTimeoutS,
      canResend: next !== undefined,
      length: codeLength,
    };
  }

  private loggedIn(): TUserIdentity {
    this.session = `fake-session-${this.world.nextSession++}`;
    this.world.sessions.add(this.session);
    this.code = null;
    this.state = "ready";
    return { ...this.world.account.me };
  }

  private requireCode() {
    if (this.state !== "login" || !this.code)
      throw new TelegramUserError("other", "Ask for a code first (sendCode).");
    return this.code;
  }

  private requireReady() {
    if (this.ended) throw this.ended;
    if (this.state !== "ready")
      throw new TelegramUserError("session_revoked", "This Telegram client is not logged in.");
  }

  private checkChatRef(chatId: number, chatRef: string | undefined) {
    if (chatRef !== undefined && chatRef !== fakeChatRef(chatId))
      throw new TelegramUserError("other", `The chatRef does not belong to chat ${chatId}.`);
  }

  private failIfScripted(method: TFakeMethod) {
    const failure = this.world.failures.get(method)?.shift();
    if (failure) throw failure;
  }
}
