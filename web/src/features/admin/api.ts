import type { TAdminSettings, TLanguage, TRole, TUser, TUserPage } from "@helpdesk/contracts";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../shared/api/client";

export type UserFilters = { role?: TRole; q?: string; is_active?: "true" | "false" };

export function useUsers(filters: UserFilters) {
  return useInfiniteQuery({
    queryKey: ["users", filters],
    queryFn: ({ pageParam, signal }) =>
      api.get<TUserPage>("/api/users/", { ...filters, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next ?? undefined,
  });
}

export type UserInput = {
  email: string;
  name: string;
  role: TRole;
  department_ids: number[];
  language?: TLanguage;
  password?: string;
};

export function useSaveUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id?: number; body: UserInput }) =>
      id === undefined ? api.post<TUser>("/api/users/", body) : api.patch<TUser>(`/api/users/${id}/`, body),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["users"] });
      void queryClient.invalidateQueries({ queryKey: ["executors"] });
    },
  });
}

export function useSetUserActive() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, active }: { id: number; active: boolean }) =>
      api.post<TUser>(`/api/users/${id}/${active ? "activate" : "deactivate"}/`),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["users"] });
      void queryClient.invalidateQueries({ queryKey: ["executors"] });
    },
  });
}

export function useSettings() {
  return useQuery({
    queryKey: ["settings", "admin"],
    queryFn: () => api.get<TAdminSettings>("/api/settings/"),
  });
}

export function useSaveSettings() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: Partial<Omit<TAdminSettings, "env_overrides">>) =>
      api.patch<TAdminSettings>("/api/settings/", body),
    onSuccess: (settings) => {
      queryClient.setQueryData(["settings", "admin"], settings);
      void queryClient.invalidateQueries({ queryKey: ["settings", "public"] });
    },
  });
}
