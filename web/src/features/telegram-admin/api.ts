import type {
  TChannelAccountAction,
  TTelegramAccount,
  TTelegramAccountState,
  TTelegramAccountUpdate,
  TTelegramBotMode,
  TTelegramLogin,
} from "@helpdesk/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useRef, useState } from "react";
import { api } from "../../shared/api/client";

export type TelegramAccount = TTelegramAccount;
export type TelegramAccountState = TTelegramAccountState;
export type TelegramBotMode = TTelegramBotMode;
export type TelegramAction = TChannelAccountAction;
export type TelegramLogin = TTelegramLogin;

/** `POST /api/accounts/` for a bot: the server asks Telegram (getMe) who the token's bot is. */
export type TelegramBotInput = {
  name: string;
  account_type: "bot";
  bot_token: string;
  mode: TelegramBotMode;
  queue_id: number | null;
};

/** `POST /api/accounts/` for a personal account: added not logged in (`state: created`). */
export type TelegramPersonalInput = {
  name: string;
  account_type: "personal";
  phone_number: string;
  api_id: number;
  api_hash: string;
  queue_id: number | null;
};

/** `PATCH /api/accounts/:id/`: omitted fields are kept; `queue_id: null` is the default queue. */
export type TelegramAccountPatch = TTelegramAccountUpdate;

// The browser bundle takes only enums and limits from contracts at run time: the values are
// repeated here, and `satisfies` keeps them in step with the contracts types.
export const BOT_MODES = ["requester", "inbox"] as const satisfies readonly TTelegramBotMode[];

/** A token as @BotFather gives it (the contracts' check): `<digits>:<30 or more characters>`. */
export const BOT_TOKEN_PATTERN = /^\d+:[A-Za-z0-9_-]{30,}$/;

/** A phone number as the contracts accept it: international form, such as +44 7700 900123. */
export const PHONE_NUMBER_PATTERN = /^\+?[0-9 ()-]{7,20}$/;

/** The app's `api_hash` from my.telegram.org: 32 hexadecimal characters. */
export const API_HASH_PATTERN = /^[0-9a-f]{32}$/i;

/** The largest `api_id` the contracts accept (a positive 32-bit integer). */
export const API_ID_MAX = 2 ** 31 - 1;

/** A log-in code as the contracts accept it: 3 to 10 digits. */
export const LOGIN_CODE_PATTERN = /^[0-9]{3,10}$/;

/** How often the list is read again while the tab is open: the runtime changes states on its own. */
const REFRESH_MS = 10_000;

const BASE = "/api/accounts";
const ACCOUNTS_KEY = ["telegram-admin", "accounts"] as const;

/** `GET /api/accounts/`: bots and personal accounts (never a token), oldest first. */
export function useTelegramAccounts() {
  return useQuery({
    queryKey: ACCOUNTS_KEY,
    queryFn: ({ signal }) => api.get<{ results: TelegramAccount[] }>(`${BASE}/`, undefined, signal),
    select: (data) => data.results,
    refetchInterval: REFRESH_MS,
  });
}

/** Adds a bot; a refused token is `telegram.token_refused`, a bot already added `telegram.bot_exists`. */
export function useCreateTelegramBot() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: TelegramBotInput) => api.post<TelegramAccount>(`${BASE}/`, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ACCOUNTS_KEY }),
  });
}

/** Adds a personal account (not logged in); the same phone twice is `telegram.account_exists`. */
export function useCreateTelegramPersonal() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: TelegramPersonalInput) => api.post<TelegramAccount>(`${BASE}/`, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ACCOUNTS_KEY }),
  });
}

/** Changes name, queue, mode or token (TELEGRAM_BOT_TOKEN's bot: name and queue only). */
export function useUpdateTelegramAccount() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: number; body: TelegramAccountPatch }) =>
      api.patch<TelegramAccount>(`${BASE}/${id}/`, body),
    // Also after an error: the account may have been removed meanwhile (account_not_found).
    onSettled: () => queryClient.invalidateQueries({ queryKey: ACCOUNTS_KEY }),
  });
}

export function useDeleteTelegramAccount() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api.delete<void>(`${BASE}/${id}/`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ACCOUNTS_KEY }),
  });
}

/** Starts or stops an account's receiver; the runtime follows within a tick. */
export function useSwitchTelegramAccount() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action }: { id: number; action: TelegramAction }) =>
      api.post<TelegramAccount>(`${BASE}/${id}/${action}/`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ACCOUNTS_KEY }),
  });
}

/** A step of a personal account's log-in, as its endpoint is named. */
export type TelegramLoginStep = "authenticate" | "resend_code" | "verify_otp" | "verify_password";

/**
 * A personal account's log-in: each step answers with the account (its `login` says what comes
 * next; `login: null` with `telegram_user` once done). Not a mutation on purpose: TanStack Query
 * keeps a mutation's variables in its cache for minutes, and the code and password must live no
 * longer than their request. Only the step and the error are kept here.
 */
export function useTelegramLogin(accountId: number) {
  const queryClient = useQueryClient();
  const [pending, setPending] = useState<TelegramLoginStep | null>(null);
  // When it failed, too: a flood wait's `retry_after` counts from the answer.
  const [failure, setFailure] = useState<{ error: unknown; step: TelegramLoginStep; at: number } | null>(
    null,
  );
  // A ref as well as the state: a second press in the same tick must not send a second request.
  const busy = useRef(false);

  const run = useCallback(
    async (step: TelegramLoginStep, body?: Record<string, string>): Promise<TelegramAccount | null> => {
      if (busy.current) {
        return null;
      }
      busy.current = true;
      setPending(step);
      setFailure(null);
      try {
        const account = await api.post<TelegramAccount>(`${BASE}/${accountId}/${step}/`, body);
        queryClient.setQueryData<{ results: TelegramAccount[] }>(ACCOUNTS_KEY, (data) =>
          data ? { results: data.results.map((a) => (a.id === account.id ? account : a)) } : data,
        );
        return account;
      } catch (caught) {
        setFailure({ error: caught, step, at: Date.now() });
        return null;
      } finally {
        busy.current = false;
        setPending(null);
        void queryClient.invalidateQueries({ queryKey: ACCOUNTS_KEY });
      }
    },
    [accountId, queryClient],
  );

  return {
    pending,
    error: failure?.error ?? null,
    /** Which step was refused, and when (a flood wait holds back that step only). */
    failedStep: failure?.step ?? null,
    failedAt: failure?.at ?? null,
    clearError: useCallback(() => setFailure(null), []),
    /** Telegram sends a code; again: starts the log-in over. */
    sendCode: useCallback(() => run("authenticate"), [run]),
    resendCode: useCallback(() => run("resend_code"), [run]),
    verifyCode: useCallback((code: string) => run("verify_otp", { otp_code: code }), [run]),
    verifyPassword: useCallback((password: string) => run("verify_password", { password }), [run]),
  };
}
