import { z } from "zod";
import { pgText } from "./schemas.js";

/** The profile's "Connect Telegram": whether a bot to link exists, and what is linked now. */
export const ZTelegramLinkState = z.strictObject({
  /** A requester bot runs and knows its username: the deep link can be made. */
  available: z.boolean(),
  bot_username: z.string().nullable(),
  linked: z.strictObject({ telegram_id: z.string(), name: z.string().nullable() }).nullable(),
});
export type TTelegramLinkState = z.infer<typeof ZTelegramLinkState>;

/** A one-time deep link (`https://t.me/<bot>?start=<code>`), valid until `expires_at` (15 minutes). */
export const ZTelegramLink = z.strictObject({
  url: z.string(),
  bot_username: z.string(),
  expires_at: z.string(),
});
export type TTelegramLink = z.infer<typeof ZTelegramLink>;

/*
 * Telegram accounts (seed API `/api/accounts/`): bots and personal accounts, as the admin and
 * the seed's clients see them. Tokens, api hashes, sessions and codes never appear in answers.
 */

export const TELEGRAM_ACCOUNT_TYPES = ["bot", "personal"] as const;
export type TTelegramAccountType = (typeof TELEGRAM_ACCOUNT_TYPES)[number];
/** What the account is doing, as the seed names it. */
export const TELEGRAM_ACCOUNT_STATES = ["created", "authenticating", "active", "stopped", "error"] as const;
export type TTelegramAccountState = (typeof TELEGRAM_ACCOUNT_STATES)[number];
/** A bot's job: the product's requester bot, or an inbox of conversations with the support team. */
export const TELEGRAM_BOT_MODES = ["requester", "inbox"] as const;
export type TTelegramBotMode = (typeof TELEGRAM_BOT_MODES)[number];

/** Where a personal account's log-in is (only while one is in progress in the answering process). */
export const ZTelegramLogin = z.strictObject({
  /** What Telegram waits for: the code it sent, or the two-step verification password. */
  stage: z.enum(["code", "password"]),
  /** How the code came: `app` (a message in the account's Telegram apps), `sms`, `call`, … */
  code_type: z.string(),
  /** How "send the code again" would send it; `none`: no other way. */
  next_type: z.string(),
  code_length: z.number().nullable(),
  /** When "send the code again" may be asked; null: it cannot. */
  can_resend_at: z.string().nullable(),
  password_hint: z.string().nullable(),
});
export type TTelegramLogin = z.infer<typeof ZTelegramLogin>;

export const ZTelegramAccount = z.strictObject({
  id: z.number(),
  name: z.string(),
  account_type: z.enum(TELEGRAM_ACCOUNT_TYPES),
  state: z.enum(TELEGRAM_ACCOUNT_STATES),
  last_error: z.string().nullable(),
  is_enabled: z.boolean(),
  /** Where its requests go; null: the default queue. */
  queue_id: z.number().nullable(),
  /** From TELEGRAM_BOT_TOKEN: only name, queue and enabled are the admin's. */
  from_env: z.boolean(),
  /** Bots: who getMe says it is, and its mode. */
  bot_username: z.string().nullable(),
  mode: z.enum(TELEGRAM_BOT_MODES).nullable(),
  /** Personal accounts: the phone number. */
  phone_number: z.string().nullable(),
  /** Personal accounts: who it is once logged in, and the log-in in progress. */
  telegram_user: z
    .strictObject({ id: z.number(), name: z.string(), username: z.string().nullable() })
    .nullable(),
  login: ZTelegramLogin.nullable(),
  last_activity_at: z.string().nullable(),
  created_at: z.string(),
});
export type TTelegramAccount = z.infer<typeof ZTelegramAccount>;

export const ZTelegramAccountList = z.strictObject({ results: z.array(ZTelegramAccount) });

const ZName = pgText().trim().min(1).max(200);
const ZBotToken = z
  .string()
  .trim()
  .regex(/^\d+:[A-Za-z0-9_-]{30,}$/, "must be a bot token from @BotFather, <digits>:<characters>");

export const ZTelegramBotCreate = z.strictObject({
  name: ZName,
  account_type: z.literal("bot"),
  bot_token: ZBotToken,
  /** The seed sends it; the product asks Telegram (getMe) instead, and keeps what Telegram says. */
  bot_username: pgText().trim().max(100).optional(),
  /** Set: another system receives the bot's updates and forwards them to `/api/webhook/bot/`. */
  webhook_url: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
  mode: z.enum(TELEGRAM_BOT_MODES).default("inbox"),
  queue_id: z.number().int().positive().nullable().optional(),
});
export const ZTelegramPersonalCreate = z.strictObject({
  name: ZName,
  account_type: z.literal("personal"),
  phone_number: z
    .string()
    .trim()
    .regex(/^\+?[0-9 ()-]{7,20}$/, "must be a phone number in international form, such as +7 900 000-00-00"),
  api_id: z.coerce
    .number()
    .int()
    .positive()
    .max(2 ** 31 - 1),
  api_hash: z
    .string()
    .trim()
    .regex(/^[0-9a-f]{32}$/i, "must be the 32-character api_hash from my.telegram.org"),
  queue_id: z.number().int().positive().nullable().optional(),
});
export const ZTelegramAccountCreate = z.discriminatedUnion("account_type", [
  ZTelegramBotCreate,
  ZTelegramPersonalCreate,
]);
export type TTelegramAccountCreate = z.input<typeof ZTelegramAccountCreate>;

export const ZTelegramAccountUpdate = z.strictObject({
  name: ZName.optional(),
  bot_token: ZBotToken.optional(),
  mode: z.enum(TELEGRAM_BOT_MODES).optional(),
  queue_id: z.number().int().positive().nullable().optional(),
});
export type TTelegramAccountUpdate = z.infer<typeof ZTelegramAccountUpdate>;

export const ZTelegramOtp = z.strictObject({
  otp_code: z
    .string()
    .trim()
    .regex(/^[0-9]{3,10}$/, "must be the digits Telegram sent"),
});
export const ZTelegramPassword = z.strictObject({ password: z.string().min(1).max(500) });
