import type { AppContext } from "../../app-context.js";
import { type ChannelDriver, defineChannelDriver } from "../channel-driver.js";
import {
  TELEGRAM_USER_CHANNEL,
  type TTelegramUserConfig,
  ZTelegramUserConfig,
} from "./telegram-user.accounts.js";
import { createUserLogins, type TUserLogins } from "./telegram-user.login.js";
import type { TCreateTelegramUserClient } from "./telegram-user.port.js";
import { receiveUserAccount, sendUserReply, type TLiveUserClients } from "./telegram-user.receiver.js";

/** The personal-account driver, with what the admin API needs of it: log-ins in progress here. */
export type TTelegramUserDriver = ChannelDriver & { logins: TUserLogins; live: TLiveUserClients };

/** mtcute is loaded on first use: a process without personal accounts never pays for it. */
const loadMtcute = async (): Promise<TCreateTelegramUserClient> =>
  (await import("./telegram-user.mtcute.js")).createMtcuteTelegramUserClient;

/**
 * Personal Telegram accounts (MTProto, through the port in telegram-user.port.ts) as an inbox
 * channel: an admin logs the account in (code, then the two-step password if it has one), the
 * session is sealed into the account, and the receiver runs one client under the lease; private
 * messages become conversations, staff replies go out through that client. Tests give a fake
 * client factory.
 */
export function createTelegramUserDriver(
  deps: { loadClientFactory?: () => Promise<TCreateTelegramUserClient> } = {},
): TTelegramUserDriver {
  const load = deps.loadClientFactory ?? loadMtcute;
  let factory: Promise<TCreateTelegramUserClient> | undefined;
  const getFactory = () => {
    factory ??= load();
    return factory;
  };
  const live: TLiveUserClients = new Map();
  const driver = defineChannelDriver<TTelegramUserConfig>({
    name: TELEGRAM_USER_CHANNEL,
    accountConfig: ZTelegramUserConfig,
    chat: true,
    secretFields: ["api_hash", "session"],
    receive: async (ctx, account, control) =>
      receiveUserAccount(ctx, account, control, { createClient: await getFactory(), live }),
    sendReply: (ctx, reply) => sendUserReply(ctx, live, reply),
  });
  return Object.assign(driver, { live, logins: createUserLogins(getFactory) });
}

/** The personal-account driver of the registry, if this build has it. */
export const telegramUserDriverOf = (ctx: Pick<AppContext, "channels">): TTelegramUserDriver | undefined => {
  const d = ctx.channels.get(TELEGRAM_USER_CHANNEL);
  return d && "logins" in d ? (d as TTelegramUserDriver) : undefined;
};
