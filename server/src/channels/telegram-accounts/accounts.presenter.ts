import type { TTelegramAccount, TTelegramAccountState, TTelegramLogin } from "@helpdesk/contracts";
import type { TChannelAccountRow } from "../channel-accounts.repository.js";

type TStoredConfig = {
  source?: string;
  username?: string;
  mode?: "requester" | "inbox";
  phone_number?: string;
  /** Personal accounts: where the log-in is (`authorized` once Telegram let it in). */
  auth_state?: "created" | "authenticating" | "authorized" | "revoked";
  me?: { id: number; name: string; username: string | null } | null;
};

/**
 * The seed's state of an account: stopped by the admin; a personal account not logged in yet
 * (created, authenticating); running (active); or failing (error, the reason in last_error).
 */
export function telegramAccountState(row: TChannelAccountRow): TTelegramAccountState {
  const config = row.config as TStoredConfig;
  if (row.kind === "telegram_user") {
    if (config.auth_state === "created" || config.auth_state === undefined) return "created";
    if (config.auth_state === "authenticating") return "authenticating";
    // Telegram ended the session: last_error says "log in again".
    if (config.auth_state === "revoked") return "error";
  }
  if (!row.isEnabled) return "stopped";
  if (row.state === "running") return "active";
  if (row.state === "backoff" || row.state === "error") return "error";
  // Enabled, and no worker has started it yet (within a scan tick).
  return "created";
}

/** An account as `/api/accounts/` shows it: never a token, an api hash or a session. */
export function presentTelegramAccount(
  row: TChannelAccountRow,
  login: TTelegramLogin | null = null,
): TTelegramAccount {
  const config = row.config as TStoredConfig;
  const isBot = row.kind === "telegram";
  return {
    id: row.id,
    name: row.name,
    account_type: isBot ? "bot" : "personal",
    state: telegramAccountState(row),
    last_error: row.lastError,
    is_enabled: row.isEnabled,
    queue_id: row.queueId,
    from_env: config.source === "env",
    bot_username: isBot ? config.username || null : null,
    mode: isBot ? (config.mode ?? "requester") : null,
    phone_number: isBot ? null : (config.phone_number ?? null),
    telegram_user: isBot ? null : (config.me ?? null),
    login: isBot ? null : login,
    last_activity_at: row.lastActivityAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
  };
}
