import type { Message, Update } from "grammy/types";
import { describe, expect, it } from "vitest";
import { splitMessageText } from "./telegram.api.js";
import {
  displayNameOf,
  fileRefsOf,
  isStartCommand,
  languageOf,
  pickPrivateMessage,
  subjectOf,
} from "./telegram.inbound.js";

const message = (extra: Partial<Message>) =>
  ({
    message_id: 5,
    date: 1,
    chat: { id: 42, type: "private", first_name: "A" },
    from: { id: 42, is_bot: false, first_name: "A" },
    ...extra,
  }) as Message;

describe("telegram inbound rules", () => {
  it("takes only what a person wrote to the bot in a private chat", () => {
    const update = (m: Partial<Message>) => ({ update_id: 1, message: message(m) }) as Update;
    expect(pickPrivateMessage(update({ text: "hi" }))).toBeDefined();
    expect(
      pickPrivateMessage(update({ chat: { id: -1, type: "group", title: "G" } as Message["chat"] })),
    ).toBeUndefined();
    expect(pickPrivateMessage(update({ from: { id: 9, is_bot: true, first_name: "B" } }))).toBeUndefined();
    expect(
      pickPrivateMessage({ update_id: 2, edited_message: message({ text: "x" }) } as Update),
    ).toBeUndefined();
  });

  it("names the sender and picks their language", () => {
    expect(displayNameOf({ id: 1, is_bot: false, first_name: "Иван", last_name: "Петров" })).toBe(
      "Иван Петров",
    );
    expect(displayNameOf({ id: 1, is_bot: false, first_name: " ", username: "ivan" })).toBe("@ivan");
    expect(languageOf("ru")).toBe("ru");
    expect(languageOf("ru-RU")).toBe("ru");
    expect(languageOf("de")).toBe("en");
    expect(languageOf(undefined)).toBeNull();
  });

  it("makes a title of the first line, clipped to 80 characters", () => {
    expect(subjectOf("\n  VPN   is down \nsince 9")).toBe("VPN is down");
    expect(subjectOf("x".repeat(100))).toHaveLength(80);
    expect(subjectOf("")).toBe("Telegram message");
    expect(isStartCommand("/start")).toBe(true);
    expect(isStartCommand("/start@helpdesk_bot ref-1")).toBe(true);
    expect(isStartCommand("/started")).toBe(false);
  });

  it("takes the largest size of a photo and names files", () => {
    const refs = fileRefsOf(
      message({
        photo: [
          { file_id: "s", file_unique_id: "s", width: 90, height: 90, file_size: 10 },
          { file_id: "l", file_unique_id: "l", width: 900, height: 900, file_size: 900 },
          { file_id: "m", file_unique_id: "m", width: 300, height: 300, file_size: 90 },
        ],
        document: {
          file_id: "d",
          file_unique_id: "d",
          file_name: "report.pdf",
          mime_type: "application/pdf",
        },
      }),
    );
    expect(refs).toEqual([
      { fileId: "l", size: 900, filename: "photo-5.jpg" },
      { fileId: "d", size: undefined, filename: "report.pdf", contentType: "application/pdf" },
    ]);
  });

  it("splits a long reply at line breaks into Telegram-sized messages", () => {
    const text = `${"a".repeat(3000)}\n${"b".repeat(3000)}`;
    expect(splitMessageText(text)).toEqual(["a".repeat(3000), "b".repeat(3000)]);
    const emoji = "😀".repeat(3000);
    const parts = splitMessageText(emoji);
    expect(parts.every((p) => p.length <= 4096)).toBe(true);
    expect(parts.join("")).toBe(emoji);
    expect(splitMessageText("short")).toEqual(["short"]);
  });
});
