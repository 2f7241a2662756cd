import { describe, expect, it } from "vitest";
import { createFakeTelegramUser, fakeChatRef } from "../../../test/telegram/fake-user-client.js";
import type { TUserInboundMessage } from "./telegram-user.port.js";

const api = { apiId: 1, apiHash: "h" };

/** The fake keeps the port's promises, so driver tests built on it mean something. */
describe("#telegram-user fake client", () => {
  it("logs in with the scripted code and password, on one client", async () => {
    const telegram = createFakeTelegramUser({ password: "s3cret", hint: "pet", resendTimeoutS: 30 });
    const login = telegram.createClient(api);
    await login.connect();
    await expect(login.sendCode("+1 555")).rejects.toMatchObject({ code: "phone_number_invalid" });
    expect(await login.sendCode("+44 7700 900123")).toEqual({
      type: "app",
      nextType: "sms",
      timeoutS: 30,
      canResend: true,
      length: 5,
    });
    await expect(login.resendCode()).rejects.toMatchObject({ code: "flood_wait", seconds: 30 });
    await expect(login.signIn("00000")).rejects.toMatchObject({ code: "phone_code_invalid" });
    expect(await login.signIn("12345")).toEqual({ status: "password_needed", hint: "pet" });
    await expect(login.checkPassword("wrong")).rejects.toMatchObject({ code: "password_invalid" });
    expect(await login.checkPassword("s3cret")).toMatchObject({ id: 1000 });
    const session = await login.exportSession();
    expect(telegram.sessions.has(session)).toBe(true);
  });

  it("scripts failures and expired codes", async () => {
    const telegram = createFakeTelegramUser();
    const login = telegram.createClient(api);
    await login.connect();
    telegram.failNext("sendCode", "flood_wait", { seconds: 42 });
    await expect(login.sendCode("+447700900123")).rejects.toMatchObject({ code: "flood_wait", seconds: 42 });
    await login.sendCode("+447700900123");
    telegram.expireCode();
    await expect(login.signIn("12345")).rejects.toMatchObject({ code: "phone_code_expired" });
    expect(await login.resendCode()).toMatchObject({ type: "sms", nextType: "call" });
    expect(await login.signIn("12345")).toMatchObject({ status: "ok" });
  });

  it("delivers, catches up from a saved state, records sends and ends sessions", async () => {
    const telegram = createFakeTelegramUser();
    const login = telegram.createClient(api);
    await login.connect();
    await login.sendCode(telegram.account.phone);
    await login.signIn(telegram.account.code);
    const session = await login.exportSession();
    await login.close();

    const first = telegram.createClient({ ...api, session });
    const seen: TUserInboundMessage[] = [];
    first.onMessage((m) => {
      seen.push(m);
    });
    await first.connect();
    const file = telegram.addFile(Buffer.from("pdf"), { kind: "document", fileName: "a.pdf" });
    await telegram.emit({ text: "hello", media: [file] });
    expect(seen.map((m) => [m.chat.id, m.text, m.chat.ref])).toEqual([[42, "hello", fakeChatRef(42)]]);
    expect(await first.downloadMedia(file.handle!, 10)).toEqual(Buffer.from("pdf"));
    await expect(first.downloadMedia(file.handle!, 2)).rejects.toMatchObject({ code: "file_too_large" });
    const state = await first.getUpdatesState();
    await first.close();

    await telegram.emit({ text: "while down" });
    const second = telegram.createClient({ ...api, session, updatesState: state });
    const caught: string[] = [];
    second.onMessage((m) => {
      caught.push(m.text);
    });
    await second.connect();
    await expect.poll(() => caught).toEqual(["while down"]);

    expect(await second.sendText(42, "hi", { chatRef: fakeChatRef(42), replyTo: 1 })).toBe(1000);
    await expect(second.sendText(42, "x", { chatRef: fakeChatRef(43) })).rejects.toMatchObject({
      code: "other",
    });
    expect(telegram.sent).toMatchObject([{ kind: "text", chatId: 42, text: "hi", options: { replyTo: 1 } }]);

    const ends: string[] = [];
    second.onSessionEnd((e) => ends.push(e.code));
    telegram.endSession("session_revoked");
    expect(ends).toEqual(["session_revoked"]);
    await expect(second.sendText(42, "x")).rejects.toMatchObject({ code: "session_revoked" });
    await expect(telegram.createClient({ ...api, session }).connect()).rejects.toMatchObject({
      code: "session_revoked",
    });
  });
});
