import { LIMITS } from "@helpdesk/contracts";
import type { TInboundFile, TInboundMessage } from "../../modules/conversations/conversations.inbound.js";
import { languageOf, subjectOf } from "../telegram-bot/telegram.inbound.js";
import { TELEGRAM_IDENTITY_CHANNEL, TELEGRAM_USER_CHANNEL } from "./telegram-user.accounts.js";
import {
  isTelegramUserError,
  type TTelegramUserClient,
  type TUserInboundMessage,
  type TUserMedia,
} from "./telegram-user.port.js";

/** The sender's name as Telegram shows it. */
export function senderNameOf(s: TUserInboundMessage["sender"]): string {
  const name = [s.firstName, s.lastName]
    .map((p) => p?.trim())
    .filter(Boolean)
    .join(" ");
  return name || (s.username ? `@${s.username}` : `Telegram user ${s.id}`);
}

/** The exactly-once key of a message: the account's user id, the chat and the message. */
export const userMessageKey = (meId: number, m: Pick<TUserInboundMessage, "chat" | "messageId">) =>
  `${meId}:${m.chat.id}:${m.messageId}`;

const FILENAMES: Record<string, string> = {
  photo: "photo.jpg",
  video: "video.mp4",
  voice: "voice.ogg",
  audio: "audio.mp3",
  sticker: "sticker.webp",
  document: "document",
};

/** What a medium without a file says in the text (a location, a contact, a poll). */
function describeMedium(m: TUserMedia): string | null {
  if (m.location) {
    const { latitude, longitude, title } = m.location;
    return `[${title ? `${title}: ` : ""}location ${latitude.toFixed(6)}, ${longitude.toFixed(6)} — https://maps.google.com/?q=${latitude},${longitude}]`;
  }
  if (m.contact)
    return `[contact: ${[m.contact.firstName, m.contact.lastName].filter(Boolean).join(" ")} ${m.contact.phone}]`;
  if (m.kind === "other")
    return `[a Telegram ${m.telegramType ?? "message"}: this kind of message is not supported yet]`;
  return null;
}

/**
 * Fetches a message's files through the client (at most the upload limit each); one too large,
 * or one Telegram will not give, becomes a note in the text instead. A network failure is a note
 * too: the message itself must not be lost for a file.
 */
async function fetchMedia(client: TTelegramUserClient, m: TUserInboundMessage) {
  const files: TInboundFile[] = [];
  const notes: string[] = [];
  for (const [i, medium] of m.media.entries()) {
    const described = describeMedium(medium);
    if (described) notes.push(described);
    if (!medium.handle) continue;
    const filename = medium.fileName || `${i + 1}-${FILENAMES[medium.kind] ?? "file"}`;
    if (medium.size !== null && medium.size > LIMITS.uploadMaxBytes) {
      notes.push(
        `[${filename}: ${medium.size} bytes, larger than the ${LIMITS.uploadMaxBytes} bytes allowed]`,
      );
      continue;
    }
    try {
      const bytes = await client.downloadMedia(medium.handle, LIMITS.uploadMaxBytes);
      files.push({ bytes, filename, contentType: medium.mime ?? undefined });
    } catch (error) {
      const reason = isTelegramUserError(error) ? error.message : String(error);
      notes.push(`[${filename}: could not be fetched from Telegram: ${reason}]`);
    }
  }
  return { files, notes };
}

/** A private message to the account as `ingestInbound` takes it, its files fetched. */
export async function toUserInbound(
  client: TTelegramUserClient,
  account: { id: number; queueId: number | null },
  meId: number,
  m: TUserInboundMessage,
): Promise<TInboundMessage> {
  const { files, notes } = await fetchMedia(client, m);
  const text = [m.text, ...notes].filter(Boolean).join("\n\n");
  return {
    channel: TELEGRAM_USER_CHANNEL,
    identityChannel: TELEGRAM_IDENTITY_CHANNEL,
    accountId: account.id,
    externalId: userMessageKey(meId, m),
    size: m.text.length + files.reduce((n, f) => n + f.bytes.length, 0),
    from: {
      externalId: String(m.sender.id),
      displayName: senderNameOf(m.sender),
      language: languageOf(m.sender.language ?? undefined),
    },
    subject: subjectOf(m.text),
    text: text || "(no text)",
    files,
    thread: { externalThreadId: String(m.chat.id) },
    queueId: account.queueId,
    source: "telegram",
  };
}
