import type { AppContext } from "../../app-context.js";
import { ingestInbound } from "../../modules/conversations/conversations.inbound.js";
import { findInboundItem } from "../../modules/conversations/conversations.repository.js";
import { sleep, untilAborted } from "../../platform/abort.js";
import type { TChannelAccount, TOutboundReply, TReceiverControl } from "../channel-driver.js";
import { splitMessageText } from "../telegram-bot/telegram.api.js";
import {
  findPeerRef,
  markSessionRevoked,
  savePeerRef,
  TELEGRAM_USER_CHANNEL,
  type TTelegramUserConfig,
  ZTelegramUserCursor,
} from "./telegram-user.accounts.js";
import { toUserInbound, userMessageKey } from "./telegram-user.inbound.js";
import {
  isTelegramUserError,
  type TCreateTelegramUserClient,
  type TelegramUserError,
  type TTelegramUserClient,
  type TUserInboundMessage,
  type TUserUpdatesState,
} from "./telegram-user.port.js";

/** How often the receiver keeps its position in the update stream. */
const SAVE_STATE_MS = 5000;

const sessionEnded = (e: unknown): e is TelegramUserError =>
  isTelegramUserError(e) && (e.code === "session_revoked" || e.code === "auth_key_duplicated");

/**
 * The clients running in this process, by account: Telegram allows one connection per session,
 * so staff replies go out through the receiver's own client.
 */
export type TLiveUserClients = Map<number, { client: TTelegramUserClient; meId: number }>;

/**
 * Runs one personal account for as long as this process holds its lease. Before the log-in is
 * done (or after Telegram ended the session) there is nothing to read: it waits. Otherwise one
 * client connects with the stored session and the saved position (so what arrived while no
 * client ran is fetched first), each private message goes through `ingestInbound` (exactly once:
 * the account, chat and message ids), and the position is kept every few seconds. A session
 * Telegram ends moves the account to "log in again"; a message that could not be stored (the
 * database is down) stops the receiver before its position is kept, so it is read again.
 */
export async function receiveUserAccount(
  ctx: AppContext,
  account: TChannelAccount<TTelegramUserConfig>,
  control: TReceiverControl,
  deps: { createClient: TCreateTelegramUserClient; live: TLiveUserClients },
): Promise<void> {
  const { signal } = control;
  const config = account.config;
  if (config.auth_state !== "authorized" || !config.session || !config.me) {
    await untilAborted(signal);
    return;
  }
  const meId = config.me.id;
  const cursor = ZTelegramUserCursor.parse(account.cursor);
  const client = deps.createClient({
    apiId: config.api_id,
    apiHash: config.api_hash,
    session: config.session,
    updatesState: cursor.updates,
    logger: ctx.logger,
  });
  let failure: unknown;
  let ended: TelegramUserError | undefined;
  const stop = new AbortController();
  const stopped = AbortSignal.any([signal, stop.signal]);

  const handle = async (m: TUserInboundMessage) => {
    if (failure || m.sender.isBot || m.isEdited || !m.chat.isPrivate) return;
    try {
      const keys = {
        channel: TELEGRAM_USER_CHANNEL,
        accountId: account.id,
        externalId: userMessageKey(meId, m),
      };
      await savePeerRef(ctx.db, account.id, m.chat.id, m.chat.ref);
      if (await findInboundItem(ctx.db, { ...keys, deliveryKey: null })) return;
      await ingestInbound(ctx, await toUserInbound(client, account, meId, m));
      control.touch();
    } catch (error) {
      // Not stored: stop before the position moves past it; the next client reads it again.
      failure = error;
      stop.abort();
    }
  };
  client.onMessage(handle);
  client.onSessionEnd((error) => {
    ended = error;
    stop.abort();
  });

  let saved: TUserUpdatesState | null = cursor.updates;
  const keepPosition = async () => {
    if (failure) return;
    const state = await client.getUpdatesState().catch(() => null);
    if (state && JSON.stringify(state) !== JSON.stringify(saved)) {
      await control.saveCursor({ updates: state });
      saved = state;
    }
  };

  try {
    await client.connect();
    deps.live.set(account.id, { client, meId });
    await control.reportError(null);
    while (!stopped.aborted) {
      await sleep(SAVE_STATE_MS, stopped);
      await keepPosition();
    }
  } catch (error) {
    if (!sessionEnded(error)) throw error;
    ended = error;
  } finally {
    deps.live.delete(account.id);
    await client.close().catch(() => {});
  }
  if (ended) {
    ctx.logger.warn({ accountId: account.id, code: ended.code }, "Telegram personal account: session ended");
    await markSessionRevoked(ctx.db, account.id, ended.message);
    // Nothing to read until an admin logs it in again (that restarts the receiver).
    await untilAborted(signal);
    return;
  }
  if (failure) throw failure;
}

/**
 * Sends a staff reply through the account's running client (a text over 4096 characters as
 * several messages). Throws, so the reply is retried with backoff and shows why, when the
 * account is not running in this process (stopped, logged out, or read by another worker).
 */
export async function sendUserReply(
  ctx: Pick<AppContext, "db">,
  live: TLiveUserClients,
  reply: TOutboundReply,
): Promise<{ externalId?: string }> {
  const accountId = reply.binding.accountId;
  if (accountId === null) throw new Error("the conversation has no Telegram account");
  const running = live.get(accountId);
  if (!running)
    throw new Error(
      "the Telegram account is not connected in this process (stopped, logged out, or run by another worker)",
    );
  const chatId = Number(reply.binding.externalThreadId);
  if (!Number.isSafeInteger(chatId))
    throw new Error(`not a Telegram chat id: ${reply.binding.externalThreadId}`);
  const chatRef = await findPeerRef(ctx.db, accountId, chatId);
  const ids: number[] = [];
  for (const part of splitMessageText(`${reply.message.authorName}:\n${reply.message.text}`)) {
    try {
      ids.push(await running.client.sendText(chatId, part, { chatRef }));
    } catch (error) {
      const sentBefore = ids.length > 0 ? ` (after ${ids.length} part(s) were sent)` : "";
      throw new Error(`${error instanceof Error ? error.message : String(error)}${sentBefore}`);
    }
  }
  return { externalId: ids.join(",") };
}
