import { Api, GrammyError, HttpError } from "grammy";
import type { TConfig } from "../../platform/config.js";

/** Telegram's limit on a file a bot may download through the Bot API. */
export const TELEGRAM_MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;
/** Telegram's limit on one text message. */
export const TELEGRAM_MAX_TEXT = 4096;

type TApiConfig = Pick<TConfig, "telegramApiRoot" | "telegramPollTimeoutS">;

/**
 * A Bot API client for one bot, pointed at TELEGRAM_API_ROOT. A call may take the long poll's
 * wait plus a margin; grammY's own default (500 s) would let a dead connection hang a receiver.
 */
export function createBotApi(config: TApiConfig, token: string): Api {
  return new Api(token, {
    apiRoot: config.telegramApiRoot,
    timeoutSeconds: Math.max(30, config.telegramPollTimeoutS + 15),
  });
}

/** grammY's Node build types its signals with the abort-controller package's class. */
type TApiSignal = NonNullable<Parameters<Api["getMe"]>[0]>;

/**
 * Node's own AbortSignal for a Bot API call (grammY only needs `addEventListener`, and its Node
 * typings name the abort-controller polyfill's class instead).
 */
export const apiSignal = (signal: AbortSignal): TApiSignal => signal as unknown as TApiSignal;

/** Seconds Telegram asked us to wait (429 Too Many Requests), if it did. */
export const retryAfterOf = (error: unknown): number | undefined =>
  error instanceof GrammyError ? error.parameters.retry_after : undefined;

/** The Bot API's error code (401, 409, 429, …), or undefined for a network failure. */
export const errorCodeOf = (error: unknown): number | undefined =>
  error instanceof GrammyError ? error.error_code : undefined;

/**
 * A failure of a Bot API call as the admin and the delivery log read it. grammY's messages never
 * contain the token (the URL is not logged), and neither does this.
 */
export function describeTelegramError(error: unknown): string {
  if (error instanceof GrammyError) {
    const retryAfter = error.parameters.retry_after;
    const wait = retryAfter === undefined ? "" : ` (retry after ${retryAfter} s)`;
    return `Telegram ${error.method}: ${error.error_code} ${error.description}${wait}`.slice(0, 500);
  }
  if (error instanceof HttpError) {
    const cause = error.error instanceof Error ? `: ${error.error.message}` : "";
    return `${error.message}${cause}`.slice(0, 500);
  }
  return (error instanceof Error ? error.message : String(error)).slice(0, 500);
}

/** A file download that failed for a reason that may pass (network, 5xx): worth another try. */
export class TelegramFileError extends Error {}

/**
 * Downloads a file getFile pointed to, from `<apiRoot>/file/bot<token>/<file_path>`, at most
 * `maxBytes` (Telegram serves bots up to 20 MB).
 */
export async function downloadTelegramFile(
  config: Pick<TConfig, "telegramApiRoot">,
  token: string,
  filePath: string,
  signal: AbortSignal,
  maxBytes = TELEGRAM_MAX_DOWNLOAD_BYTES,
): Promise<Buffer> {
  const url = `${config.telegramApiRoot}/file/bot${token}/${filePath.split("/").map(encodeURIComponent).join("/")}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(120_000)]) });
  } catch (error) {
    // The URL carries the token: only the reason is kept.
    throw new TelegramFileError(`file download failed: ${error instanceof Error ? error.message : error}`);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => {});
    throw new TelegramFileError(`file download failed: HTTP ${res.status}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      await res.body.cancel().catch(() => {});
      throw new TelegramFileError(`file larger than ${maxBytes} bytes`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/**
 * Cuts a reply into Telegram-sized messages: at a paragraph or line break, else a space, else
 * hard, and never inside a surrogate pair (Telegram counts UTF-16 code units, as JS does).
 */
export function splitMessageText(text: string, max = TELEGRAM_MAX_TEXT): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max);
    let cut = window.lastIndexOf("\n\n");
    if (cut < max / 2) cut = window.lastIndexOf("\n");
    if (cut < max / 2) cut = window.lastIndexOf(" ");
    if (cut < max / 2) {
      cut = max;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    }
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).replace(/^\s+/, "");
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest);
  return parts;
}
