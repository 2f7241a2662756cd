import type { AppContext } from "../../app-context.js";
import { encryptSecret } from "../../platform/crypto.js";
import { AppError } from "../../platform/errors.js";
import { patchUserAccountConfig, type TTelegramUserConfig } from "./telegram-user.accounts.js";
import {
  isTelegramUserError,
  type TCreateTelegramUserClient,
  type TSentCode,
  type TTelegramUserClient,
  type TTelegramUserErrorCode,
  type TUserIdentity,
} from "./telegram-user.port.js";

/** A log-in nobody moves on for this long is dropped (its client closed). */
const LOGIN_IDLE_MS = 15 * 60 * 1000;

/** Where a log-in is, as the admin screen shows it. */
export type TLoginView = {
  stage: "code" | "password";
  code_type: TSentCode["type"];
  next_type: TSentCode["nextType"];
  code_length: number | null;
  /** When "send the code again" may be asked (null: it cannot). */
  can_resend_at: string | null;
  password_hint: string | null;
};

type TLogin = {
  client: TTelegramUserClient;
  sent: TSentCode;
  sentAt: number;
  stage: "code" | "password";
  hint: string | null;
  timer?: NodeJS.Timeout;
};

/** HTTP status of each refusal; the code is `telegram.<port code>`. */
const STATUS: Record<TTelegramUserErrorCode, number> = {
  phone_code_invalid: 422,
  phone_code_expired: 422,
  password_invalid: 422,
  flood_wait: 429,
  phone_number_flood: 429,
  phone_number_banned: 422,
  phone_number_invalid: 422,
  session_revoked: 409,
  auth_key_duplicated: 409,
  file_too_large: 422,
  network: 503,
  other: 502,
};

/** A refusal of the MTProto layer as an API error (a flood wait carries its seconds). */
export function toLoginError(error: unknown): unknown {
  if (!isTelegramUserError(error)) return error;
  return new AppError(`telegram.${error.code}`, STATUS[error.code], error.message, {
    ...(error.seconds === undefined ? {} : { retry_after: error.seconds }),
  });
}

export const createLoginNotStartedError = () =>
  new AppError(
    "telegram.login_not_started",
    409,
    "No log-in is in progress for this account here: start it again (authenticate)",
  );
export const createWrongLoginStepError = (expected: "code" | "password") =>
  new AppError("telegram.login_wrong_step", 409, `The log-in is waiting for the ${expected}`);

const viewOf = (l: TLogin): TLoginView => ({
  stage: l.stage,
  code_type: l.sent.type,
  next_type: l.sent.nextType,
  code_length: l.sent.length ?? null,
  can_resend_at: l.sent.canResend ? new Date(l.sentAt + l.sent.timeoutS * 1000).toISOString() : null,
  password_hint: l.hint,
});

/**
 * Log-ins of personal accounts in progress in this process. Every step of one log-in runs on
 * the same client (the code Telegram sends is bound to that connection); codes and passwords
 * pass through and are never kept or logged. When it is done the session is sealed into the
 * account's config and the receiver restarts with it.
 */
export function createUserLogins(getFactory: () => Promise<TCreateTelegramUserClient>) {
  const logins = new Map<number, TLogin>();

  const drop = async (accountId: number) => {
    const l = logins.get(accountId);
    if (!l) return;
    logins.delete(accountId);
    clearTimeout(l.timer);
    await l.client.close().catch(() => {});
  };
  const touch = (accountId: number, l: TLogin) => {
    clearTimeout(l.timer);
    l.timer = setTimeout(() => void drop(accountId), LOGIN_IDLE_MS);
    l.timer.unref();
  };
  const current = (accountId: number) => {
    const l = logins.get(accountId);
    if (!l) throw createLoginNotStartedError();
    touch(accountId, l);
    return l;
  };

  /** The log-in is done: keep the session (sealed) and who the account is. */
  const finish = async (
    ctx: Pick<AppContext, "db" | "config">,
    accountId: number,
    l: TLogin,
    me: TUserIdentity,
  ) => {
    const session = await l.client.exportSession();
    await drop(accountId);
    const name = [me.firstName, me.lastName].filter(Boolean).join(" ");
    await patchUserAccountConfig(
      ctx.db,
      accountId,
      {
        auth_state: "authorized",
        session: encryptSecret(ctx.config.appSecret, session),
        me: { id: me.id, name, username: me.username },
      },
      { restart: true, lastError: null },
    );
  };

  return {
    view: (accountId: number): TLoginView | null => {
      const l = logins.get(accountId);
      return l ? viewOf(l) : null;
    },

    /** Step 1: a new client asks Telegram to send the code. Again: starts over. */
    async start(
      ctx: Pick<AppContext, "db">,
      accountId: number,
      config: TTelegramUserConfig,
    ): Promise<TLoginView> {
      await drop(accountId);
      const createClient = await getFactory();
      const client = createClient({ apiId: config.api_id, apiHash: config.api_hash });
      try {
        await client.connect();
        const sent = await client.sendCode(config.phone_number);
        const l: TLogin = { client, sent, sentAt: Date.now(), stage: "code", hint: null };
        logins.set(accountId, l);
        touch(accountId, l);
        await patchUserAccountConfig(
          ctx.db,
          accountId,
          { auth_state: "authenticating" },
          { restart: false, lastError: null },
        );
        return viewOf(l);
      } catch (error) {
        await client.close().catch(() => {});
        throw toLoginError(error);
      }
    },

    /** "Send the code again": Telegram's next way, once its wait is over. */
    async resend(accountId: number): Promise<TLoginView> {
      const l = current(accountId);
      if (l.stage !== "code") throw createWrongLoginStepError("password");
      try {
        l.sent = await l.client.resendCode();
        l.sentAt = Date.now();
        return viewOf(l);
      } catch (error) {
        throw toLoginError(error);
      }
    },

    /** Step 2: the code; done, or the account's two-step password is needed. */
    async verifyCode(ctx: Pick<AppContext, "db" | "config">, accountId: number, code: string) {
      const l = current(accountId);
      if (l.stage !== "code") throw createWrongLoginStepError("password");
      try {
        const result = await l.client.signIn(code);
        if (result.status === "password_needed") {
          l.stage = "password";
          l.hint = result.hint;
          return viewOf(l);
        }
        await finish(ctx, accountId, l, result.me);
        return null;
      } catch (error) {
        throw toLoginError(error);
      }
    },

    /** Step 3, with two-step verification: the password. */
    async verifyPassword(ctx: Pick<AppContext, "db" | "config">, accountId: number, password: string) {
      const l = current(accountId);
      if (l.stage !== "password") throw createWrongLoginStepError("code");
      try {
        const me = await l.client.checkPassword(password);
        await finish(ctx, accountId, l, me);
        return null;
      } catch (error) {
        throw toLoginError(error);
      }
    },

    drop,
    async closeAll() {
      await Promise.all([...logins.keys()].map(drop));
    },
  };
}

export type TUserLogins = ReturnType<typeof createUserLogins>;
