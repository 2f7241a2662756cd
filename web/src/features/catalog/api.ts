import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../shared/api/client";
import type { CatalogItem, CatalogKind, Executor, Page } from "../../shared/api/types";

export const catalogKey = (kind: CatalogKind) => ["catalog", kind] as const;

/** Queues, categories, priorities or departments (names already in the user's language). */
export function useCatalog(kind: CatalogKind, enabled = true) {
  return useQuery({
    queryKey: catalogKey(kind),
    queryFn: () => api.get<Page<CatalogItem>>(`/api/${kind}/`),
    select: (page) => page.results,
    staleTime: 5 * 60_000,
    enabled,
  });
}

/** Select options of the active items of one catalog. */
export function useCatalogOptions(kind: CatalogKind, enabled = true) {
  const query = useCatalog(kind, enabled);
  const items = query.data ?? [];
  const sorted = kind === "priorities" ? [...items].sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0)) : items;
  return sorted
    .filter((item) => item.is_active)
    .map((item) => ({ value: String(item.id), label: item.name }));
}

export type CatalogInput = {
  name_ru: string;
  name_en: string;
  department_id?: number | null;
  rank?: number;
  is_active?: boolean;
};

export function useSaveCatalogItem(kind: CatalogKind) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id?: number; body: CatalogInput }) =>
      id === undefined
        ? api.post<CatalogItem>(`/api/${kind}/`, body)
        : api.patch<CatalogItem>(`/api/${kind}/${id}/`, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: catalogKey(kind) }),
  });
}

export function useDeactivateCatalogItem(kind: CatalogKind) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api.delete<void>(`/api/${kind}/${id}/`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: catalogKey(kind) }),
  });
}

/** Executors with their open-ticket load, for assignment dialogs (operator/admin). */
export function useExecutors(enabled = true) {
  return useQuery({
    queryKey: ["executors"],
    queryFn: () => api.get<Page<Executor>>("/api/users/executors/"),
    select: (page) => page.results,
    staleTime: 30_000,
    enabled,
  });
}
