import type { TLanguage } from "@helpdesk/contracts";
import type { Api } from "grammy";
import type { Message, Update, User } from "grammy/types";
import type { TInboundFile, TInboundMessage } from "../../modules/conversations/conversations.inbound.js";
import type { TConfig } from "../../platform/config.js";
import { TELEGRAM_CHANNEL } from "./telegram.accounts.js";
import {
  apiSignal,
  describeTelegramError,
  downloadTelegramFile,
  errorCodeOf,
  TELEGRAM_MAX_DOWNLOAD_BYTES,
  TelegramFileError,
} from "./telegram.api.js";

/** Who the bot is (getMe). */
export type TBotIdentity = { id: number; username: string };

const SUBJECT_MAX = 80;
const FALLBACK_SUBJECT = "Telegram message";

/**
 * The message of an update that becomes a request: one a person wrote to the bot in a private
 * chat. Groups, channels, other bots and edits (not handled in this slice) give nothing.
 */
export function pickPrivateMessage(update: Update): Message | undefined {
  const m = update.message;
  if (m?.chat.type !== "private" || !m.from || m.from.is_bot) return undefined;
  return m;
}

/** The sender's name as Telegram shows it: first and last name, else the username. */
export function displayNameOf(from: User): string {
  const name = [from.first_name, from.last_name]
    .map((s) => s?.trim())
    .filter(Boolean)
    .join(" ");
  return name || (from.username ? `@${from.username}` : `Telegram user ${from.id}`);
}

/** The sender's app language: Russian or English; none given: the organisation's default. */
export const languageOf = (code: string | undefined): TLanguage | null =>
  code ? (code.toLowerCase().startsWith("ru") ? "ru" : "en") : null;

/** A new request's title: the first line of the text, clipped. */
export function subjectOf(text: string): string {
  const line = text
    .split("\n")
    .map((l) => l.replace(/\s+/g, " ").trim())
    .find(Boolean);
  if (!line) return FALLBACK_SUBJECT;
  return line.length > SUBJECT_MAX ? `${line.slice(0, SUBJECT_MAX - 1)}…` : line;
}

/** A file a message carries, before it is fetched. */
export type TFileRef = { fileId: string; size?: number; filename: string; contentType?: string };

/** The files of a message: the largest size of a photo, a document, voice, audio, video. */
export function fileRefsOf(m: Message): TFileRef[] {
  const refs: TFileRef[] = [];
  if (m.photo && m.photo.length > 0) {
    const largest = m.photo.reduce((a, b) =>
      (b.file_size ?? b.width * b.height) > (a.file_size ?? a.width * a.height) ? b : a,
    );
    refs.push({ fileId: largest.file_id, size: largest.file_size, filename: `photo-${m.message_id}.jpg` });
  }
  const media = [
    { file: m.document, fallback: `document-${m.message_id}` },
    { file: m.video, fallback: `video-${m.message_id}.mp4` },
    { file: m.audio, fallback: `audio-${m.message_id}.mp3` },
    { file: m.voice, fallback: `voice-${m.message_id}.ogg` },
    { file: m.video_note, fallback: `video-note-${m.message_id}.mp4` },
  ];
  for (const { file, fallback } of media) {
    if (!file) continue;
    const named = file as { file_name?: string; mime_type?: string };
    refs.push({
      fileId: file.file_id,
      size: file.file_size,
      filename: named.file_name || fallback,
      contentType: named.mime_type,
    });
  }
  return refs;
}

/** What a message without text or a file we fetch is, for its note. */
const UNSUPPORTED_KINDS = ["sticker", "animation", "location", "venue", "contact", "poll", "dice", "story"];

/** The first line of an update's text is the command /start (what every new chat begins with). */
export const isStartCommand = (text: string) => /^\/start(@\w+)?(\s|$)/.test(text.trim());

/**
 * Fetches a message's files. One over Telegram's 20 MB is not fetched; one Telegram refuses
 * (400) is not either: each becomes a note. A network or server failure throws (the update is
 * tried again), unless this is the last try, when it too becomes a note.
 */
export async function fetchFiles(
  deps: { api: Api; config: Pick<TConfig, "telegramApiRoot">; token: string; signal: AbortSignal },
  refs: TFileRef[],
  isLastTry: boolean,
): Promise<{ files: TInboundFile[]; notes: string[] }> {
  const files: TInboundFile[] = [];
  const notes: string[] = [];
  for (const ref of refs) {
    if (ref.size !== undefined && ref.size > TELEGRAM_MAX_DOWNLOAD_BYTES) {
      notes.push(`[${ref.filename}: ${ref.size} bytes, too large to fetch from Telegram (over 20 MB)]`);
      continue;
    }
    try {
      const file = await deps.api.getFile(ref.fileId, apiSignal(deps.signal));
      if (!file.file_path) throw new TelegramFileError("Telegram gave no file path");
      const bytes = await downloadTelegramFile(deps.config, deps.token, file.file_path, deps.signal);
      files.push({ bytes, filename: ref.filename, contentType: ref.contentType });
    } catch (error) {
      if (deps.signal.aborted) throw error;
      const refused = errorCodeOf(error) === 400;
      if (!refused && !isLastTry) throw error;
      notes.push(`[${ref.filename}: could not be fetched from Telegram: ${describeTelegramError(error)}]`);
    }
  }
  return { files, notes };
}

/**
 * The exactly-once keys of a message: the bot's, chat's and message's id (the same message again
 * makes nothing), and the receipt, the update id, with the bot's id too: a new token on the
 * account is another bot, whose update ids start anew.
 */
export const inboundKeysOf = (bot: TBotIdentity, update: Update, m: Message) => ({
  channel: TELEGRAM_CHANNEL,
  externalId: `${bot.id}:${m.chat.id}:${m.message_id}`,
  deliveryKey: `update:${bot.id}:${update.update_id}`,
});

/**
 * Turns a private message into what `ingestInbound` takes, its files fetched; the chat is the
 * thread, so the next message continues the open request.
 */
export async function toInboundMessage(
  deps: { api: Api; config: Pick<TConfig, "telegramApiRoot">; token: string; signal: AbortSignal },
  account: { id: number; queueId: number | null },
  bot: TBotIdentity,
  update: Update,
  m: Message,
  isLastTry: boolean,
): Promise<TInboundMessage> {
  const from = m.from!;
  const written = m.text ?? m.caption ?? "";
  const refs = fileRefsOf(m);
  const { files, notes } = await fetchFiles(deps, refs, isLastTry);
  if (!written.trim() && refs.length === 0) {
    const kind = UNSUPPORTED_KINDS.find((k) => k in m) ?? "message";
    notes.push(`[a Telegram ${kind}: this kind of message is not supported yet]`);
  }
  const text = [written, ...notes].filter(Boolean).join("\n\n");
  return {
    ...inboundKeysOf(bot, update, m),
    accountId: account.id,
    size: written.length + files.reduce((n, f) => n + f.bytes.length, 0),
    from: {
      externalId: String(from.id),
      displayName: displayNameOf(from),
      language: languageOf(from.language_code),
    },
    subject: subjectOf(written),
    text,
    // Every chat with the bot starts with /start: no request until the person writes one.
    automated: isStartCommand(written) && refs.length === 0 ? "the /start command" : null,
    files,
    thread: { externalThreadId: String(m.chat.id) },
    queueId: account.queueId,
    source: "telegram",
  };
}
