import type {
  CHANNEL_BULK_MAX,
  TChannelAccount,
  TChannelAccountAction,
  TChannelAccountList,
  TChannelAccountState,
  TChannelBulkResult,
  TChannelDriverInfo,
} from "@helpdesk/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../shared/api/client";

export type ChannelAccount = TChannelAccount;
export type ChannelDriver = TChannelDriverInfo;
export type ChannelAction = TChannelAccountAction;
export type ChannelBulkResult = TChannelBulkResult;

// The browser bundle takes only enums and limits from contracts at run time: the values are
// repeated here, and `satisfies` keeps them in step with the contracts types.
export const ACCOUNT_STATES = [
  "running",
  "backoff",
  "error",
  "stopped",
] as const satisfies readonly TChannelAccountState[];
/** Most ids one bulk request may carry; a larger selection goes in several. */
export const BULK_MAX = 200 satisfies typeof CHANNEL_BULK_MAX;

/** How often the list is read again while the screen is open: receivers change state on their own. */
const REFRESH_MS = 5000;

const BASE = "/api/admin/channels/accounts";
const ACCOUNTS_KEY = ["channels-admin", "accounts"] as const;

/** `GET /api/admin/channels/accounts/`: every account (secrets redacted) and the registered drivers. */
export function useChannelAccounts() {
  return useQuery({
    queryKey: ACCOUNTS_KEY,
    queryFn: ({ signal }) => api.get<TChannelAccountList>(`${BASE}/`, undefined, signal),
    refetchInterval: REFRESH_MS,
  });
}

/** Starts or stops one account; the list is read again afterwards. */
export function useSwitchAccount() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action }: { id: number; action: ChannelAction }) =>
      api.post<ChannelAccount>(`${BASE}/${id}/${action}/`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ACCOUNTS_KEY }),
  });
}

/** Starts or stops many accounts, `BULK_MAX` per request; unknown ids come back in `missing`. */
export function useSwitchAccounts() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ ids, action }: { ids: number[]; action: ChannelAction }) => {
      const total: ChannelBulkResult = { updated: 0, missing: [], accounts: [] };
      for (let start = 0; start < ids.length; start += BULK_MAX) {
        const part = await api.post<ChannelBulkResult>(`${BASE}/bulk/`, {
          ids: ids.slice(start, start + BULK_MAX),
          action,
        });
        total.updated += part.updated;
        total.missing.push(...part.missing);
        total.accounts.push(...part.accounts);
      }
      return total;
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ACCOUNTS_KEY }),
  });
}
