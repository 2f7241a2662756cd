import type { TLanguage, TLoginResponse, TPublicSettings, TTheme, TUser } from "@helpdesk/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, api } from "../../shared/api/client";

export const meKey = ["me"] as const;

/** The signed-in user, or null when there is no session. */
export function useMe() {
  return useQuery({
    queryKey: meKey,
    queryFn: async () => {
      try {
        return await api.get<TUser>("/api/auth/profile/");
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          return null;
        }
        throw error;
      }
    },
    staleTime: 5 * 60_000,
    retry: false,
  });
}

/** The current user; only call below the auth guard. */
export function useCurrentUser(): TUser {
  const { data } = useMe();
  if (!data) {
    throw new Error("useCurrentUser used outside the auth guard");
  }
  return data;
}

export function usePublicSettings() {
  return useQuery({
    queryKey: ["settings", "public"],
    queryFn: () => api.get<TPublicSettings>("/api/settings/public/"),
    staleTime: 10 * 60_000,
  });
}

export function useLogin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { email: string; password: string }) =>
      api.post<TLoginResponse>("/api/auth/login/", body),
    onSuccess: (data) => {
      queryClient.clear();
      queryClient.setQueryData(meKey, data.user);
    },
  });
}

export function useRegister() {
  return useMutation({
    mutationFn: (body: { email: string; password: string; name: string; language?: TLanguage }) =>
      api.post<TUser>("/api/auth/register/", body),
  });
}

export function useLogout() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<void>("/api/auth/logout/"),
    onSettled: () => {
      queryClient.clear();
      queryClient.setQueryData(meKey, null);
    },
  });
}

export function useUpdateProfile() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { name?: string; language?: TLanguage; theme?: TTheme }) =>
      api.patch<TUser>("/api/auth/profile/", body),
    onSuccess: (user, body) => {
      queryClient.setQueryData(meKey, user);
      if (body.language) {
        // Catalog and ticket names come back in the user's language.
        void queryClient.invalidateQueries({ predicate: (query) => query.queryKey[0] !== meKey[0] });
      }
    },
  });
}

export function useChangePassword() {
  return useMutation({
    mutationFn: (body: { current_password: string; new_password: string }) =>
      api.post<void>("/api/auth/password/", body),
  });
}
