import type { Db } from "../../platform/db/index.js";
import { categories, priorities, queues } from "../../platform/db/schema/index.js";

export type TCatalogEntry = { id: number; slug: string; nameRu: string; nameEn: string; isActive: boolean };
export type TCatalog = {
  priorities: Map<number, TCatalogEntry>;
  categories: Map<number, TCatalogEntry>;
  queues: Map<number, TCatalogEntry & { departmentId: number | null }>;
  bySlug: { priorities: Map<string, TCatalogEntry>; queues: Map<string, TCatalogEntry> };
};

/** Bus event: reference data changed; every instance reloads it. */

const TTL_MS = 30_000;

/**
 * Priorities, categories and queues in memory: a few dozen rows read on every ticket write.
 * Reloaded after admin changes (through the bus, on every instance) and at most every 30 s.
 */
export function createCatalogCache(db: Db) {
  let loaded: { at: number; value: Promise<TCatalog> } | undefined;
  const load = async (): Promise<TCatalog> => {
    const [p, c, q] = await Promise.all([
      db.select().from(priorities),
      db.select().from(categories),
      db.select().from(queues),
    ]);
    return {
      priorities: new Map(p.map((r) => [r.id, r])),
      categories: new Map(c.map((r) => [r.id, r])),
      queues: new Map(q.map((r) => [r.id, r])),
      bySlug: { priorities: new Map(p.map((r) => [r.slug, r])), queues: new Map(q.map((r) => [r.slug, r])) },
    };
  };
  return {
    get(): Promise<TCatalog> {
      if (!loaded || Date.now() - loaded.at > TTL_MS) {
        const value = load();
        loaded = { at: Date.now(), value };
        value.catch(() => {
          loaded = undefined;
        });
      }
      return loaded.value;
    },
    invalidate() {
      loaded = undefined;
    },
  };
}
export type CatalogCache = ReturnType<typeof createCatalogCache>;
