import type { TAdminSettings, TSettings } from "@helpdesk/contracts";
import type { EventBus } from "../../platform/bus.js";
import type { DbOrTx } from "../../platform/db/index.js";
import { accessChanged } from "../auth/auth.guard.js";
import {
  createCatalogItemNotFoundError,
  createSlugTakenError,
  createUnknownDepartmentError,
  type TCatalogKind,
} from "./catalog.errors.js";
import {
  categoryRepository,
  departmentExists,
  departmentRepository,
  priorityRepository,
  queueRepository,
  type TCategoryRow,
  type TDepartmentRow,
  type TPriorityRow,
  type TQueueRow,
} from "./catalog.repository.js";
import type { TCategoryBody, TDepartmentBody, TPriorityBody, TQueueBody } from "./catalog.schemas.js";
import type { SettingsService } from "./settings.service.js";

/** The rules of one kind of reference data: how API bodies become rows, and what a change affects. */
export type TCatalogRules<TRow, TBody> = {
  kind: TCatalogKind;
  list(db: DbOrTx): Promise<TRow[]>;
  find(db: DbOrTx, id: number): Promise<TRow | undefined>;
  /** undefined when the slug is taken. */
  create(db: DbOrTx, body: TBody): Promise<TRow | undefined>;
  update(db: DbOrTx, id: number, body: Partial<TBody>): Promise<TRow | undefined>;
  deactivate(db: DbOrTx, id: number): Promise<TRow | undefined>;
  check?(db: DbOrTx, body: Partial<TBody>): Promise<void>;
  /** Queue-to-department links decide who sees which tickets. */
  changesAccess: boolean;
  /** Read on every ticket write through the in-memory catalog. */
  changesCatalog: boolean;
};

const slugify = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 50) || `item-${Date.now().toString(36)}`;

type TNamedBody = { name_ru: string; name_en: string; is_active?: boolean };

/** The columns every kind has, for a new row: active unless the body says otherwise. */
const namedRow = (b: TNamedBody) => ({ nameRu: b.name_ru, nameEn: b.name_en, isActive: b.is_active ?? true });

/** A new row's slug: the body's, or one made from the English name. */
const slugOf = (b: { slug?: string; name_en: string }) => b.slug ?? slugify(b.name_en);

/** The same columns for a change: what the body leaves out stays as it is. */
const namedChange = (b: Partial<TNamedBody>) => ({
  nameRu: b.name_ru,
  nameEn: b.name_en,
  isActive: b.is_active,
});

export const queueRules: TCatalogRules<TQueueRow, TQueueBody> = {
  kind: "queues",
  list: queueRepository.list,
  find: queueRepository.find,
  async check(db, body) {
    if (body.department_id == null) return;
    if (!(await departmentExists(db, body.department_id)))
      throw createUnknownDepartmentError(body.department_id);
  },
  create: (db, b) =>
    queueRepository.insert(db, { ...namedRow(b), slug: slugOf(b), departmentId: b.department_id ?? null }),
  update: (db, id, b) => queueRepository.update(db, id, { ...namedChange(b), departmentId: b.department_id }),
  deactivate: queueRepository.deactivate,
  changesAccess: true,
  changesCatalog: true,
};

export const categoryRules: TCatalogRules<TCategoryRow, TCategoryBody> = {
  kind: "categories",
  list: categoryRepository.list,
  find: categoryRepository.find,
  create: (db, b) =>
    categoryRepository.insert(db, { ...namedRow(b), slug: slugOf(b), sortOrder: b.sort_order ?? 0 }),
  update: (db, id, b) => categoryRepository.update(db, id, { ...namedChange(b), sortOrder: b.sort_order }),
  deactivate: categoryRepository.deactivate,
  changesAccess: false,
  changesCatalog: true,
};

export const priorityRules: TCatalogRules<TPriorityRow, TPriorityBody> = {
  kind: "priorities",
  list: priorityRepository.list,
  find: priorityRepository.find,
  create: (db, b) => priorityRepository.insert(db, { ...namedRow(b), slug: slugOf(b), rank: b.rank }),
  update: (db, id, b) => priorityRepository.update(db, id, { ...namedChange(b), rank: b.rank }),
  deactivate: priorityRepository.deactivate,
  changesAccess: false,
  changesCatalog: true,
};

export const departmentRules: TCatalogRules<TDepartmentRow, TDepartmentBody> = {
  kind: "departments",
  list: departmentRepository.list,
  find: departmentRepository.find,
  create: (db, b) => departmentRepository.insert(db, namedRow(b)),
  update: (db, id, b) => departmentRepository.update(db, id, namedChange(b)),
  deactivate: departmentRepository.deactivate,
  changesAccess: true,
  changesCatalog: false,
};

type TDeps = { db: DbOrTx; bus: Pick<EventBus, "publish"> };

/** Tells every instance what a change affects: cached credentials (queue links) and the in-memory catalog. */
function announceChange(
  bus: TDeps["bus"],
  rules: Pick<TCatalogRules<unknown, unknown>, "changesAccess" | "changesCatalog">,
) {
  if (rules.changesAccess) bus.publish(accessChanged());
  if (rules.changesCatalog) bus.publish({ type: "catalog_changed", at: new Date().toISOString() });
}

/** An admin adds an item; `<kind>.slug_taken` when its slug is in use. */
export async function createCatalogItem<TRow, TBody>(
  deps: TDeps,
  rules: TCatalogRules<TRow, TBody>,
  body: TBody,
): Promise<TRow> {
  await rules.check?.(deps.db, body);
  const row = await rules.create(deps.db, body);
  if (!row) throw createSlugTakenError(rules.kind);
  announceChange(deps.bus, rules);
  return row;
}

/** An admin edits an item. An empty PATCH changes nothing and writes nothing: it answers the row as it is. */
export async function updateCatalogItem<TRow, TBody>(
  deps: TDeps,
  rules: TCatalogRules<TRow, TBody>,
  id: number,
  body: Partial<TBody>,
): Promise<TRow> {
  if (Object.values(body).every((v) => v === undefined)) {
    const row = await rules.find(deps.db, id);
    if (!row) throw createCatalogItemNotFoundError(rules.kind);
    return row;
  }
  await rules.check?.(deps.db, body);
  const row = await rules.update(deps.db, id, body);
  if (!row) throw createCatalogItemNotFoundError(rules.kind);
  announceChange(deps.bus, rules);
  return row;
}

/** Rows stay (tickets point at them): deleting deactivates. */
export async function deactivateCatalogItem<TRow, TBody>(
  deps: TDeps,
  rules: TCatalogRules<TRow, TBody>,
  id: number,
): Promise<void> {
  if (!(await rules.deactivate(deps.db, id))) throw createCatalogItemNotFoundError(rules.kind);
  announceChange(deps.bus, rules);
}

/** The organisation's settings with which of them the environment fixes (the admin form greys those out). */
export async function getAdminSettings(settings: SettingsService): Promise<TAdminSettings> {
  return { ...(await settings.get()), env_overrides: settings.envOverrides };
}

/** Changes some settings; a key left out keeps its value. */
export async function changeAdminSettings(
  settings: SettingsService,
  patch: Partial<TSettings>,
): Promise<TAdminSettings> {
  return { ...(await settings.update(patch)), env_overrides: settings.envOverrides };
}
