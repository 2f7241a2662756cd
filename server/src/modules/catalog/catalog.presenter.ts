import type { TCategory, TDepartment, TPriority, TQueue } from "@helpdesk/contracts";
import type { TCategoryRow, TDepartmentRow, TPriorityRow, TQueueRow } from "./catalog.repository.js";

/** The name in the reader's language. */
export const localize = (row: { nameRu: string; nameEn: string }, language: string) =>
  language === "en" ? row.nameEn : row.nameRu;

export const presentQueue = (q: TQueueRow, lang: string): TQueue => ({
  id: q.id,
  slug: q.slug,
  name: localize(q, lang),
  name_ru: q.nameRu,
  name_en: q.nameEn,
  department_id: q.departmentId,
  is_active: q.isActive,
});

export const presentCategory = (c: TCategoryRow, lang: string): TCategory => ({
  id: c.id,
  slug: c.slug,
  name: localize(c, lang),
  name_ru: c.nameRu,
  name_en: c.nameEn,
  is_active: c.isActive,
  sort_order: c.sortOrder,
});

export const presentPriority = (p: TPriorityRow, lang: string): TPriority => ({
  id: p.id,
  slug: p.slug,
  name: localize(p, lang),
  name_ru: p.nameRu,
  name_en: p.nameEn,
  rank: p.rank,
  is_active: p.isActive,
});

export const presentDepartment = (d: TDepartmentRow, lang: string): TDepartment => ({
  id: d.id,
  name: localize(d, lang),
  name_ru: d.nameRu,
  name_en: d.nameEn,
  is_active: d.isActive,
});
