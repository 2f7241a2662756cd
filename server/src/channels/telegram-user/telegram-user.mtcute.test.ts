import { Long, Message, PeersIndex, RawUpdateInfo, type RpcCallMiddleware, tl } from "@mtcute/node";
import { fileIdToInputFileLocation, writeStringSession } from "@mtcute/node/utils.js";
import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createMtcuteTelegramUserClient,
  decodeMediaHandle,
  encodeMediaHandle,
  isRoutable,
  MtcuteTelegramUserClient,
  TELEGRAM_SERVICE_USER_ID,
  type TMtcuteTelegramUserOptions,
  toTelegramUserError,
  toUserInboundMessage,
} from "./telegram-user.mtcute.js";
import type { TTelegramUserLogger, TUserInboundMessage } from "./telegram-user.port.js";

// ---- real mtcute objects, built from raw TL the way mtcute's update parser does

const DATE = 1_700_000_000;
const SELF_ID = 1000;
const ANNA_HASH = "-8812345678901234567";

const self: tl.RawUser = {
  _: "user",
  self: true,
  id: SELF_ID,
  accessHash: Long.fromInt(1),
  firstName: "Support",
};
const anna: tl.RawUser = {
  _: "user",
  id: 42,
  accessHash: Long.fromString(ANNA_HASH),
  firstName: "Анна",
  lastName: "Petrova",
  username: "anna_p",
  langCode: "ru",
};
const service: tl.RawUser = {
  _: "user",
  id: TELEGRAM_SERVICE_USER_ID,
  accessHash: Long.fromInt(5),
  firstName: "Telegram",
};
const peers = () => PeersIndex.from({ users: [self, anna, service] });

const rawMessage = (extra: Partial<tl.RawMessage> = {}): tl.RawMessage => ({
  _: "message",
  id: 5,
  peerId: { _: "peerUser", userId: 42 },
  date: DATE,
  message: "",
  ...extra,
});
const messageOf = (extra: Partial<tl.RawMessage> = {}) => new Message(rawMessage(extra), peers());

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

const photo: tl.RawPhoto = {
  _: "photo",
  id: Long.fromString("5001"),
  accessHash: Long.fromString("6001"),
  fileReference: bytes(8),
  date: DATE,
  dcId: 2,
  sizes: [
    { _: "photoStrippedSize", type: "i", bytes: bytes(4) },
    { _: "photoSize", type: "m", w: 320, h: 240, size: 20_000 },
    { _: "photoSize", type: "y", w: 1280, h: 960, size: 150_000 },
    { _: "photoSize", type: "x", w: 800, h: 600, size: 90_000 },
  ],
};

const doc = (
  id: string,
  mimeType: string,
  size: number,
  attributes: tl.TypeDocumentAttribute[],
): tl.RawDocument => ({
  _: "document",
  id: Long.fromString(id),
  accessHash: Long.fromString("7001"),
  fileReference: bytes(8, 2),
  date: DATE,
  mimeType,
  size,
  dcId: 2,
  attributes,
});

const pdf = doc("8001", "application/pdf", 10_000, [
  { _: "documentAttributeFilename", fileName: "invoice-17.pdf" },
]);
const voice = doc("8002", "audio/ogg", 4_321, [{ _: "documentAttributeAudio", voice: true, duration: 3 }]);
const song = doc("8003", "audio/mpeg", 3_000_000, [
  { _: "documentAttributeAudio", duration: 200, title: "Song", performer: "Band" },
  { _: "documentAttributeFilename", fileName: "song.mp3" },
]);
const video = doc("8004", "video/mp4", 900_000, [
  { _: "documentAttributeVideo", duration: 10, w: 640, h: 480 },
  { _: "documentAttributeFilename", fileName: "clip.mp4" },
]);
const sticker = doc("8005", "image/webp", 30_000, [
  { _: "documentAttributeSticker", alt: "👍", stickerset: { _: "inputStickerSetEmpty" } },
  { _: "documentAttributeImageSize", w: 512, h: 512 },
]);

const mapped = (extra: Partial<tl.RawMessage>, isEdit = false) =>
  toUserInboundMessage(messageOf(extra), isEdit);

describe("#telegram-user.mtcute messages", () => {
  it("maps a text message with its chat, sender and the ref to reach the chat again", () => {
    expect(mapped({ message: "Принтер не печатает" })).toEqual({
      chat: { id: 42, isPrivate: true, ref: `u:42:${ANNA_HASH}` },
      sender: {
        id: 42,
        firstName: "Анна",
        lastName: "Petrova",
        username: "anna_p",
        language: "ru",
        isBot: false,
      },
      messageId: 5,
      date: new Date(DATE * 1000),
      text: "Принтер не печатает",
      replyToMessageId: null,
      mediaGroupId: null,
      isEdited: false,
      editDate: null,
      media: [],
    } satisfies TUserInboundMessage);
  });

  it("takes a photo in its largest size, with a handle that names that size", () => {
    const m = mapped({ message: "see", media: { _: "messageMediaPhoto", photo } });
    expect(m.text).toBe("see");
    expect(m.media).toEqual([
      { kind: "photo", fileName: null, mime: "image/jpeg", size: 150_000, handle: expect.any(String) },
    ]);
    const handle = decodeMediaHandle(m.media[0]!.handle!);
    expect(handle).toMatchObject({ d: 2, s: 150_000 });
    expect(fileIdToInputFileLocation(handle.f)).toMatchObject({
      _: "inputPhotoFileLocation",
      id: Long.fromString("5001"),
      thumbSize: "y",
    });
  });

  it("takes a document under the sender's file name", () => {
    const m = mapped({ media: { _: "messageMediaDocument", document: pdf } });
    expect(m.media).toEqual([
      {
        kind: "document",
        fileName: "invoice-17.pdf",
        mime: "application/pdf",
        size: 10_000,
        handle: expect.any(String),
      },
    ]);
    expect(fileIdToInputFileLocation(decodeMediaHandle(m.media[0]!.handle!).f)).toMatchObject({
      _: "inputDocumentFileLocation",
      id: Long.fromString("8001"),
    });
  });

  it("tells a voice note, an audio file, a video and a sticker apart", () => {
    const kinds = [voice, song, video, sticker].map((document) => {
      const [media] = mapped({ media: { _: "messageMediaDocument", document } }).media;
      return { kind: media?.kind, fileName: media?.fileName, mime: media?.mime, size: media?.size };
    });
    expect(kinds).toEqual([
      { kind: "voice", fileName: null, mime: "audio/ogg", size: 4_321 },
      { kind: "audio", fileName: "song.mp3", mime: "audio/mpeg", size: 3_000_000 },
      { kind: "video", fileName: "clip.mp4", mime: "video/mp4", size: 900_000 },
      { kind: "sticker", fileName: null, mime: "image/webp", size: 30_000 },
    ]);
  });

  it("keeps the message a reply answers, in the same chat", () => {
    expect(
      mapped({ message: "and this?", replyTo: { _: "messageReplyHeader", replyToMsgId: 3 } }),
    ).toMatchObject({
      replyToMessageId: 3,
    });
    // A reply to a message of another chat (a quote from elsewhere) is not a thread of this one.
    const elsewhere = mapped({
      replyTo: {
        _: "messageReplyHeader",
        replyToMsgId: 9,
        replyToPeerId: { _: "peerUser", userId: 77 },
        replyFrom: { _: "messageFwdHeader", date: DATE, fromId: { _: "peerUser", userId: 77 } },
      },
    });
    expect(elsewhere.replyToMessageId).toBeNull();
  });

  it("marks an edit with its edit date, and leaves out an edit without one (a reaction)", () => {
    const edit = messageOf({ id: 8, message: "fixed typo", editDate: DATE + 60 });
    expect(isRoutable(edit, true, SELF_ID)).toBe(true);
    expect(toUserInboundMessage(edit, true)).toMatchObject({
      messageId: 8,
      text: "fixed typo",
      isEdited: true,
      editDate: new Date((DATE + 60) * 1000),
    });
    expect(isRoutable(messageOf({ id: 8 }), true, SELF_ID)).toBe(false);
  });

  it("gives each message of an album the album's id", () => {
    const groupedId = Long.fromString("13579246801357913");
    const first = mapped({ id: 10, groupedId, media: { _: "messageMediaPhoto", photo } });
    const second = mapped({ id: 11, groupedId, media: { _: "messageMediaDocument", document: pdf } });
    expect(first.mediaGroupId).toBe("13579246801357913");
    expect(second.mediaGroupId).toBe("13579246801357913");
    expect(mapped({ id: 12 }).mediaGroupId).toBeNull();
  });

  it("gives a location, a venue and a contact card by value, and names other media", () => {
    const geo: tl.RawGeoPoint = { _: "geoPoint", lat: 55.7558, long: 37.6173, accessHash: Long.ZERO };
    expect(mapped({ media: { _: "messageMediaGeo", geo } }).media).toEqual([
      expect.objectContaining({
        kind: "location",
        handle: null,
        location: { latitude: 55.7558, longitude: 37.6173 },
      }),
    ]);
    const venue: tl.RawMessageMediaVenue = {
      _: "messageMediaVenue",
      geo,
      title: "Office",
      address: "Tverskaya 1",
      provider: "",
      venueId: "",
      venueType: "",
    };
    expect(mapped({ media: venue }).media[0]?.location).toEqual({
      latitude: 55.7558,
      longitude: 37.6173,
      title: "Office",
    });
    const card: tl.RawMessageMediaContact = {
      _: "messageMediaContact",
      phoneNumber: "+15550001234",
      firstName: "Bob",
      lastName: "Stone",
      vcard: "",
      userId: 77,
    };
    expect(mapped({ media: card }).media).toEqual([
      expect.objectContaining({
        kind: "contact",
        handle: null,
        contact: { phone: "+15550001234", firstName: "Bob", lastName: "Stone", userId: 77 },
      }),
    ]);
    expect(mapped({ media: { _: "messageMediaDice", value: 4, emoticon: "🎲" } }).media).toEqual([
      expect.objectContaining({ kind: "other", handle: null, telegramType: "dice" }),
    ]);
    expect(mapped({ media: { _: "messageMediaUnsupported" } }).media[0]?.telegramType).toBe("unsupported");
  });

  it("routes only what another person wrote in a private chat", () => {
    const routable = (extra: Partial<tl.RawMessage>) => isRoutable(messageOf(extra), false, SELF_ID);
    expect(routable({ message: "hi" })).toBe(true);
    expect(routable({ out: true, message: "sent from my phone" })).toBe(false);
    expect(routable({ peerId: { _: "peerUser", userId: SELF_ID }, message: "saved" })).toBe(false);
    expect(
      routable({ peerId: { _: "peerUser", userId: TELEGRAM_SERVICE_USER_ID }, message: "Login code: 12345" }),
    ).toBe(false);
    expect(routable({ peerId: { _: "peerChat", chatId: 9 }, fromId: { _: "peerUser", userId: 42 } })).toBe(
      false,
    );
    const serviceMessage = new Message(
      {
        _: "messageService",
        id: 6,
        peerId: { _: "peerUser", userId: 42 },
        date: DATE,
        action: { _: "messageActionHistoryClear" },
      },
      peers(),
    );
    expect(isRoutable(serviceMessage, false, SELF_ID)).toBe(false);
    expect(isRoutable(new Message(rawMessage({ message: "later" }), peers(), true), false, SELF_ID)).toBe(
      false,
    );
  });
});

// ---- errors, as mtcute builds them from Telegram's rpc_error (tl.RpcError.fromTl)

const rpcError = (errorCode: number, errorMessage: string) =>
  tl.RpcError.fromTl({ _: "mt_rpc_error", errorCode, errorMessage });

describe("#telegram-user.mtcute errors", () => {
  it.each([
    [400, "PHONE_CODE_INVALID", "phone_code_invalid"],
    [400, "PHONE_CODE_EMPTY", "phone_code_invalid"],
    [400, "PHONE_CODE_EXPIRED", "phone_code_expired"],
    [400, "PASSWORD_HASH_INVALID", "password_invalid"],
    [400, "PHONE_NUMBER_FLOOD", "phone_number_flood"],
    [400, "PHONE_PASSWORD_FLOOD", "phone_number_flood"],
    [400, "PHONE_NUMBER_BANNED", "phone_number_banned"],
    [400, "PHONE_NUMBER_INVALID", "phone_number_invalid"],
    [401, "AUTH_KEY_UNREGISTERED", "session_revoked"],
    [401, "SESSION_REVOKED", "session_revoked"],
    [401, "SESSION_EXPIRED", "session_revoked"],
    [401, "USER_DEACTIVATED_BAN", "session_revoked"],
    [406, "AUTH_KEY_DUPLICATED", "auth_key_duplicated"],
    [500, "RPC_CALL_FAIL", "network"],
    [-503, "Timedout", "network"],
    [400, "API_ID_INVALID", "other"],
    [400, "CHAT_WRITE_FORBIDDEN", "other"],
  ] as const)("maps %d %s to %s", (status, text, code) => {
    const error = toTelegramUserError(rpcError(status, text));
    expect(error.code).toBe(code);
    expect(error.telegramError).toBe(text);
    expect(error.message).not.toBe("");
  });

  it("gives FLOOD_WAIT_X and its kin as flood_wait with the seconds", () => {
    const flood = toTelegramUserError(rpcError(420, "FLOOD_WAIT_42"));
    expect(flood).toMatchObject({ code: "flood_wait", seconds: 42, telegramError: "FLOOD_WAIT_42" });
    expect(flood.message).toBe("Telegram asks to wait 42 s before trying again.");
    expect(toTelegramUserError(rpcError(420, "FLOOD_PREMIUM_WAIT_7"))).toMatchObject({
      code: "flood_wait",
      seconds: 7,
    });
    expect(toTelegramUserError(rpcError(420, "SLOWMODE_WAIT_30"))).toMatchObject({
      code: "flood_wait",
      seconds: 30,
    });
    expect(toTelegramUserError(rpcError(420, "FLOOD_TEST_PHONE_WAIT_5"))).toMatchObject({
      code: "flood_wait",
      seconds: 5,
    });
  });

  it("says plainly what the admin can do about a known refusal", () => {
    expect(toTelegramUserError(rpcError(400, "API_ID_INVALID")).message).toMatch(/my\.telegram\.org/);
    expect(toTelegramUserError(rpcError(400, "CHAT_WRITE_FORBIDDEN")).message).toBe(
      "Telegram refused the request: 400 CHAT_WRITE_FORBIDDEN.",
    );
  });

  it("calls timeouts and socket failures network, anything else other", () => {
    expect(toTelegramUserError(new DOMException("timed out", "TimeoutError")).code).toBe("network");
    expect(toTelegramUserError(Object.assign(new Error("connect"), { code: "ECONNREFUSED" })).code).toBe(
      "network",
    );
    expect(toTelegramUserError(new Error("boom"))).toMatchObject({
      code: "other",
      message: "Telegram client error: boom",
    });
  });
});

// ---- the adapter around mtcute's real TelegramClient, Telegram's answers given in its middleware chain

type TRequest = tl.RpcMethod;
type TAnswer = (request: TRequest) => unknown;

const DC = { id: 2, ipAddress: "127.0.0.1", port: 1 };
/** A session string as mtcute writes it (the auth key is made up: no byte ever leaves the process). */
const SESSION = writeStringSession({
  version: 3,
  primaryDcs: { main: DC, media: DC },
  self: { userId: SELF_ID, isBot: false, isPremium: false, usernames: [] },
  authKey: bytes(256, 7),
});

const rpcFailure = (errorCode: number, errorMessage: string) => ({
  _: "mt_rpc_error",
  errorCode,
  errorMessage,
});

/** What Telegram says when a test did not script a call. */
function defaultAnswer(request: TRequest): unknown {
  switch (request._) {
    case "help.getNearestDc":
      return { _: "nearestDc", country: "NL", thisDc: 2, nearestDc: 2 };
    case "users.getUsers":
      return request.id.flatMap((u) =>
        u._ === "inputUserSelf"
          ? [self]
          : u._ === "inputUser" && u.userId === 42 && !u.accessHash.isZero()
            ? [anna]
            : [],
      );
    case "updates.getState":
      return { _: "updates.state", pts: 10, qts: 0, date: DATE, seq: 1, unreadCount: 0 };
    case "updates.getDifference":
      return { _: "updates.differenceEmpty", date: DATE, seq: 1 };
    default:
      return rpcFailure(400, `UNSCRIPTED_${request._.toUpperCase().replace(/\./g, "_")}`);
  }
}

const clients: MtcuteTelegramUserClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

/** An adapter whose mtcute client gets Telegram's answers from `answer` (then the defaults). */
function clientAnswering(
  answer: TAnswer = () => undefined,
  options: Partial<TMtcuteTelegramUserOptions> = {},
) {
  const requests: TRequest[] = [];
  // As the network does: an answer may never come, and the call's abort signal ends the wait.
  const telegram: RpcCallMiddleware = async (ctx) => {
    requests.push(ctx.request);
    const signal = ctx.params?.abortSignal;
    const answered = Promise.resolve(answer(ctx.request)).then((a) => a ?? defaultAnswer(ctx.request));
    if (!signal) return answered;
    return Promise.race([
      answered,
      new Promise((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      }),
    ]);
  };
  const client = new MtcuteTelegramUserClient({
    apiId: 12345,
    apiHash: "0123456789abcdef0123456789abcdef",
    initialDc: DC,
    innerMiddlewares: [telegram],
    ...options,
  });
  clients.push(client);
  const called = (method: TRequest["_"]) => requests.filter((r) => r._ === method);
  return { client, requests, called };
}

const sentCode = (extra: Partial<tl.auth.RawSentCode> = {}): tl.auth.RawSentCode => ({
  _: "auth.sentCode",
  type: { _: "auth.sentCodeTypeApp", length: 5 },
  phoneCodeHash: "hash-1",
  nextType: { _: "auth.codeTypeSms" },
  timeout: 60,
  ...extra,
});

describe("#telegram-user.mtcute client", () => {
  it("logs in with the code on one client: code, resend, a wrong code, then the right one", async () => {
    let sends = 0;
    const { client, called } = clientAnswering((request) => {
      if (request._ === "auth.sendCode")
        return sentCode({ phoneCodeHash: `hash-${++sends}`, timeout: sends === 1 ? 60 : 0 });
      if (request._ === "auth.resendCode")
        return sentCode({
          type: { _: "auth.sentCodeTypeSms", length: 6 },
          nextType: undefined,
          phoneCodeHash: "hash-3",
        });
      if (request._ === "auth.signIn")
        return request.phoneCode === "654321"
          ? { _: "auth.authorization", user: self }
          : rpcFailure(400, "PHONE_CODE_INVALID");
    });
    await client.connect();
    expect(called("help.getNearestDc")).toHaveLength(1);

    expect(await client.sendCode("+44 7700 900123")).toEqual({
      type: "app",
      nextType: "sms",
      timeoutS: 60,
      canResend: true,
      length: 5,
    });
    expect(called("auth.sendCode")[0]).toMatchObject({ phoneNumber: "447700900123", apiId: 12345 });
    // Too early: the adapter answers for Telegram, with the seconds left.
    await expect(client.resendCode()).rejects.toMatchObject({ code: "flood_wait", seconds: 60 });
    expect(called("auth.resendCode")).toHaveLength(0);

    await client.sendCode("+447700900123");
    expect(await client.resendCode()).toEqual({
      type: "sms",
      nextType: "none",
      timeoutS: 60,
      canResend: false,
      length: 6,
    });
    expect(called("auth.resendCode")[0]).toMatchObject({ phoneCodeHash: "hash-2" });
    await expect(client.resendCode()).rejects.toMatchObject({ code: "other" });

    await expect(client.signIn("000000")).rejects.toMatchObject({ code: "phone_code_invalid" });
    expect(await client.signIn(" 654321 ")).toEqual({
      status: "ok",
      me: { id: SELF_ID, firstName: "Support", lastName: null, username: null, phone: null },
    });
    expect(called("auth.signIn").at(-1)).toMatchObject({ phoneCodeHash: "hash-3", phoneCode: "654321" });
    expect(await client.getMe()).toMatchObject({ id: SELF_ID });
  });

  it("asks for the two-step password with its hint", async () => {
    const { client } = clientAnswering((request) => {
      if (request._ === "auth.sendCode") return sentCode();
      if (request._ === "auth.signIn") return rpcFailure(401, "SESSION_PASSWORD_NEEDED");
      if (request._ === "account.getPassword")
        return {
          _: "account.password",
          hint: "cat's name",
          newAlgo: { _: "passwordKdfAlgoUnknown" },
          newSecureAlgo: { _: "securePasswordKdfAlgoUnknown" },
          secureRandom: bytes(8),
        };
    });
    await client.connect();
    await client.sendCode("+447700900123");
    expect(await client.signIn("12345")).toEqual({ status: "password_needed", hint: "cat's name" });
    await expect(client.signIn("12345")).rejects.toMatchObject({ code: "other" });
    await expect(client.exportSession()).rejects.toMatchObject({ code: "session_revoked" });
  });

  it("throws a long FLOOD_WAIT at once as flood_wait, and sleeps through a short one", async () => {
    const long = clientAnswering((r) =>
      r._ === "auth.sendCode" ? rpcFailure(420, "FLOOD_WAIT_600") : undefined,
    );
    await long.client.connect();
    const started = Date.now();
    await expect(long.client.sendCode("+447700900123")).rejects.toMatchObject({
      code: "flood_wait",
      seconds: 600,
    });
    expect(Date.now() - started).toBeLessThan(1000);

    let tries = 0;
    const short = clientAnswering(
      (r) =>
        r._ === "auth.sendCode" ? (++tries === 1 ? rpcFailure(420, "FLOOD_WAIT_1") : sentCode()) : undefined,
      { floodSleepThresholdS: 2 },
    );
    await short.client.connect();
    await expect(short.client.sendCode("+447700900123")).resolves.toMatchObject({ type: "app" });
    expect(tries).toBe(2);
  });

  it("gives up on a call Telegram does not answer, as network", async () => {
    const { client } = clientAnswering(
      (r) => (r._ === "help.getNearestDc" ? new Promise(() => {}) : undefined),
      {
        callTimeoutMs: 50,
      },
    );
    await expect(client.connect()).rejects.toMatchObject({ code: "network" });
  });

  it("starts from a stored session, exports it again and sees revocation at connect", async () => {
    const { client, called } = clientAnswering(undefined, { session: SESSION });
    await client.connect();
    expect(called("users.getUsers")[0]).toMatchObject({ id: [{ _: "inputUserSelf" }] });
    expect(await client.exportSession()).toBe(SESSION);

    const revoked = clientAnswering(
      (r) => (r._ === "users.getUsers" ? rpcFailure(401, "AUTH_KEY_UNREGISTERED") : undefined),
      {
        session: SESSION,
      },
    );
    await expect(revoked.client.connect()).rejects.toMatchObject({ code: "session_revoked" });
    const garbled = createMtcuteTelegramUserClient({ apiId: 1, apiHash: "x", session: "not a session" });
    await expect(garbled.connect()).rejects.toMatchObject({ code: "other" });
    await garbled.close();
  });

  it("routes mtcute's update stream to onMessage, one at a time and in order", async () => {
    const { client } = clientAnswering(undefined, { session: SESSION });
    await client.connect();
    const seen: string[] = [];
    let releaseFirst = () => {};
    client.onMessage(async (m) => {
      seen.push(`start ${m.messageId}${m.isEdited ? " edit" : ""}`);
      if (m.messageId === 1 && !m.isEdited) await new Promise<void>((resolve) => (releaseFirst = resolve));
      seen.push(`end ${m.messageId}`);
    });
    const stream = client.mtcuteForTests.onRawUpdate;
    const update = (u: tl.TypeUpdate) => stream.emit(new RawUpdateInfo(u, peers()));
    update({ _: "updateNewMessage", message: rawMessage({ id: 1, message: "one" }), pts: 11, ptsCount: 1 });
    update({
      _: "updateNewMessage",
      message: rawMessage({ id: 2, out: true, message: "mine" }),
      pts: 12,
      ptsCount: 1,
    });
    update({
      _: "updateNewMessage",
      message: rawMessage({
        id: 3,
        peerId: { _: "peerUser", userId: TELEGRAM_SERVICE_USER_ID },
        message: "Login code: 12345",
      }),
      pts: 13,
      ptsCount: 1,
    });
    update({
      _: "updateEditMessage",
      message: rawMessage({ id: 1, message: "one!", editDate: DATE + 5 }),
      pts: 14,
      ptsCount: 1,
    });
    await vi.waitFor(() => expect(seen).toEqual(["start 1"]));
    releaseFirst();
    await vi.waitFor(() => expect(seen).toEqual(["start 1", "end 1", "start 1 edit", "end 1"]));
  });

  it("catches up from a saved updates state and keeps the position once handled", async () => {
    const missed = rawMessage({ id: 7, message: "written while the receiver was down" });
    const { client, called } = clientAnswering(
      (r) =>
        r._ === "updates.getDifference"
          ? {
              _: "updates.difference",
              newMessages: [missed],
              newEncryptedMessages: [],
              otherUpdates: [],
              chats: [],
              users: [anna],
              state: { _: "updates.state", pts: 101, qts: 0, date: DATE + 100, seq: 6, unreadCount: 0 },
            }
          : undefined,
      { session: SESSION, updatesState: { pts: 100, qts: 0, date: DATE, seq: 5 } },
    );
    const seen: TUserInboundMessage[] = [];
    client.onMessage((m) => {
      seen.push(m);
    });
    await client.connect();
    await vi.waitFor(() => expect(seen.map((m) => m.text)).toEqual(["written while the receiver was down"]));
    expect(called("updates.getDifference")[0]).toMatchObject({ pts: 100, qts: 0, date: DATE });
    await vi.waitFor(async () =>
      expect(await client.getUpdatesState()).toEqual({ pts: 101, qts: 0, date: DATE + 100, seq: 6 }),
    );
  });

  it("sends a text and a file to a chat by its ref, as a reply", async () => {
    const { client, called } = clientAnswering(
      (r) => {
        if (r._ === "messages.sendMessage")
          return { _: "updateShortSentMessage", out: true, id: 501, pts: 11, ptsCount: 1, date: DATE };
        if (r._ === "upload.saveFilePart") return true;
        if (r._ === "messages.sendMedia")
          return {
            _: "updates",
            updates: [
              { _: "updateMessageID", id: 502, randomId: r.randomId },
              {
                _: "updateNewMessage",
                message: rawMessage({
                  id: 502,
                  out: true,
                  fromId: { _: "peerUser", userId: SELF_ID },
                  message: "the report",
                  media: { _: "messageMediaDocument", document: pdf },
                }),
                pts: 12,
                ptsCount: 1,
              },
            ],
            users: [self, anna],
            chats: [],
            date: DATE,
            seq: 0,
          };
      },
      { session: SESSION },
    );
    await client.connect();
    const chatRef = `u:42:${ANNA_HASH}`;
    expect(await client.sendText(42, "Hello, Anna", { chatRef, replyTo: 5 })).toBe(501);
    expect(called("messages.sendMessage")[0]).toMatchObject({
      peer: { _: "inputPeerUser", userId: 42, accessHash: Long.fromString(ANNA_HASH) },
      message: "Hello, Anna",
      replyTo: { _: "inputReplyToMessage", replyToMsgId: 5 },
    });

    const file = {
      bytes: Buffer.from("%PDF-1.4 report"),
      filename: "report.pdf",
      mime: "application/pdf",
      caption: "the report",
    };
    expect(await client.sendFile(42, file, { chatRef })).toBe(502);
    const [sendMedia] = called("messages.sendMedia");
    expect(sendMedia).toMatchObject({
      message: "the report",
      media: { _: "inputMediaUploadedDocument", mimeType: "application/pdf" },
    });
    expect(
      sendMedia?._ === "messages.sendMedia" &&
        sendMedia.media._ === "inputMediaUploadedDocument" &&
        sendMedia.media.attributes,
    ).toContainEqual({
      _: "documentAttributeFilename",
      fileName: "report.pdf",
    });
    expect(called("upload.saveFilePart")).toHaveLength(1);

    await expect(client.sendText(77, "who?")).rejects.toMatchObject({
      code: "other",
      message: expect.stringMatching(/chatRef/),
    });
    await expect(client.sendText(42, "x", { chatRef: "u:43:1" })).rejects.toMatchObject({ code: "other" });
  });

  it("downloads a file up to maxBytes and refuses a larger one", async () => {
    const content = Buffer.alloc(10_000, 9);
    const { client, called } = clientAnswering(
      (r) =>
        r._ === "upload.getFile"
          ? {
              _: "upload.file",
              type: { _: "storage.filePartial" },
              mtime: 0,
              bytes: content.subarray(r.offset, r.offset + r.limit),
            }
          : undefined,
      { session: SESSION },
    );
    await client.connect();
    const [media] = mapped({ media: { _: "messageMediaDocument", document: pdf } }).media;
    expect(await client.downloadMedia(media!.handle!, 20_000)).toEqual(content);

    await expect(client.downloadMedia(media!.handle!, 5_000)).rejects.toMatchObject({
      code: "file_too_large",
    });
    expect(called("upload.getFile")).toHaveLength(1);

    // Size unknown: fetched until it passes maxBytes, then stopped.
    const endless = clientAnswering(
      (r) =>
        r._ === "upload.getFile"
          ? { _: "upload.file", type: { _: "storage.filePartial" }, mtime: 0, bytes: new Uint8Array(r.limit) }
          : undefined,
      { session: SESSION },
    );
    await endless.client.connect();
    const unknownSize = encodeMediaHandle({ ...decodeMediaHandle(media!.handle!), s: null });
    await expect(endless.client.downloadMedia(unknownSize, 100_000)).rejects.toMatchObject({
      code: "file_too_large",
    });
    const fetched = endless.called("upload.getFile").length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(endless.called("upload.getFile").length).toBe(fetched);
  });

  it("ends the session once when Telegram says so, for any call, the session check's included", async () => {
    let revoked = false;
    const { client, called } = clientAnswering(
      (r) =>
        revoked && (r._ === "updates.getState" || r._ === "users.getUsers")
          ? rpcFailure(401, "SESSION_REVOKED")
          : undefined,
      { session: SESSION, sessionCheckIntervalMs: 20 },
    );
    const ends: string[] = [];
    client.onSessionEnd((e) => ends.push(`${e.code} ${e.telegramError}`));
    await client.connect();
    revoked = true;
    await vi.waitFor(() => expect(ends).toEqual(["session_revoked SESSION_REVOKED"]));
    await expect(client.getMe()).rejects.toMatchObject({ code: "session_revoked" });
    await expect(client.sendText(42, "x")).rejects.toMatchObject({ code: "session_revoked" });
    expect(called("messages.sendMessage")).toHaveLength(0);
    expect(ends).toHaveLength(1);

    const twice = clientAnswering(undefined, { session: SESSION });
    const twiceEnds: string[] = [];
    twice.client.onSessionEnd((e) => twiceEnds.push(e.code));
    await twice.client.connect();
    const duplicated = clientAnswering(
      (r) => (r._ === "users.getUsers" ? rpcFailure(406, "AUTH_KEY_DUPLICATED") : undefined),
      {
        session: SESSION,
      },
    );
    await expect(duplicated.client.connect()).rejects.toMatchObject({ code: "auth_key_duplicated" });
    expect(twiceEnds).toEqual([]);
  });

  it("logs through the hook, never the code, the password or the session", async () => {
    const lines: string[] = [];
    const logger: TTelegramUserLogger = {
      debug: (f, m) => lines.push(JSON.stringify([f, m])),
      info: (f, m) => lines.push(JSON.stringify([f, m])),
      warn: (f, m) => lines.push(JSON.stringify([f, m])),
      error: (f, m) => lines.push(JSON.stringify([f, m])),
    };
    const { client } = clientAnswering(
      (r) => {
        if (r._ === "auth.sendCode") return sentCode();
        if (r._ === "auth.signIn") return rpcFailure(400, "PHONE_CODE_INVALID");
      },
      { logger, logLevel: "info" },
    );
    await client.connect();
    await client.sendCode("+447700900123");
    await expect(client.signIn("24680")).rejects.toMatchObject({ code: "phone_code_invalid" });
    await client.close();
    expect(lines.join("\n")).not.toMatch(/24680|hash-1/);
    // A pino logger is what the driver passes.
    const fromPino: TTelegramUserLogger = pino({ level: "silent" });
    expect(fromPino).toBeDefined();
  });
});
