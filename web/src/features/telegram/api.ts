import type { TTelegramLink, TTelegramLinkState } from "@helpdesk/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../shared/api/client";

export const telegramLinkKey = ["profile", "telegram"] as const;

/**
 * My Telegram link. While a deep link is waiting to be opened, it is asked again every few
 * seconds, so the page shows "linked" as soon as the bot has taken the code.
 */
export function useTelegramLinkState(waiting: boolean) {
  return useQuery({
    queryKey: telegramLinkKey,
    queryFn: ({ signal }) => api.get<TTelegramLinkState>("/api/auth/profile/telegram/", undefined, signal),
    refetchInterval: waiting ? 3000 : false,
  });
}

/** A new one-time deep link to the bot (valid 15 minutes). */
export function useCreateTelegramLink() {
  return useMutation({
    mutationFn: () => api.post<TTelegramLink>("/api/auth/profile/telegram/link/", {}),
  });
}

export function useUnlinkTelegram() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.delete("/api/auth/profile/telegram/"),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: telegramLinkKey }),
  });
}
