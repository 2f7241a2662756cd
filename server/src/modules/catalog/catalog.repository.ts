import { asc, eq } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/index.js";
import { categories, departments, priorities, queues } from "../../platform/db/schema/index.js";

export type TQueueRow = typeof queues.$inferSelect;
export type TCategoryRow = typeof categories.$inferSelect;
export type TPriorityRow = typeof priorities.$inferSelect;
export type TDepartmentRow = typeof departments.$inferSelect;

/** The queries of one kind of reference data. Rows stay (tickets point at them): deleting deactivates. */
export type TCatalogRepository<TRow, TInsert, TUpdate> = {
  list(db: DbOrTx): Promise<TRow[]>;
  find(db: DbOrTx, id: number): Promise<TRow | undefined>;
  /** undefined when the slug is taken. */
  insert(db: DbOrTx, values: TInsert): Promise<TRow | undefined>;
  /** undefined when there is no such row. */
  update(db: DbOrTx, id: number, changes: TUpdate): Promise<TRow | undefined>;
  deactivate(db: DbOrTx, id: number): Promise<TRow | undefined>;
};

export const queueRepository: TCatalogRepository<
  TQueueRow,
  typeof queues.$inferInsert,
  Partial<typeof queues.$inferInsert>
> = {
  list: (db) => db.select().from(queues).orderBy(asc(queues.id)),
  find: async (db, id) => (await db.select().from(queues).where(eq(queues.id, id)))[0],
  insert: async (db, values) => (await db.insert(queues).values(values).onConflictDoNothing().returning())[0],
  update: async (db, id, changes) =>
    (await db.update(queues).set(changes).where(eq(queues.id, id)).returning())[0],
  deactivate: async (db, id) =>
    (await db.update(queues).set({ isActive: false }).where(eq(queues.id, id)).returning())[0],
};

export const categoryRepository: TCatalogRepository<
  TCategoryRow,
  typeof categories.$inferInsert,
  Partial<typeof categories.$inferInsert>
> = {
  list: (db) => db.select().from(categories).orderBy(asc(categories.sortOrder), asc(categories.id)),
  find: async (db, id) => (await db.select().from(categories).where(eq(categories.id, id)))[0],
  insert: async (db, values) =>
    (await db.insert(categories).values(values).onConflictDoNothing().returning())[0],
  update: async (db, id, changes) =>
    (await db.update(categories).set(changes).where(eq(categories.id, id)).returning())[0],
  deactivate: async (db, id) =>
    (await db.update(categories).set({ isActive: false }).where(eq(categories.id, id)).returning())[0],
};

export const priorityRepository: TCatalogRepository<
  TPriorityRow,
  typeof priorities.$inferInsert,
  Partial<typeof priorities.$inferInsert>
> = {
  list: (db) => db.select().from(priorities).orderBy(asc(priorities.rank)),
  find: async (db, id) => (await db.select().from(priorities).where(eq(priorities.id, id)))[0],
  insert: async (db, values) =>
    (await db.insert(priorities).values(values).onConflictDoNothing().returning())[0],
  update: async (db, id, changes) =>
    (await db.update(priorities).set(changes).where(eq(priorities.id, id)).returning())[0],
  deactivate: async (db, id) =>
    (await db.update(priorities).set({ isActive: false }).where(eq(priorities.id, id)).returning())[0],
};

export const departmentRepository: TCatalogRepository<
  TDepartmentRow,
  typeof departments.$inferInsert,
  Partial<typeof departments.$inferInsert>
> = {
  list: (db) => db.select().from(departments).orderBy(asc(departments.id)),
  find: async (db, id) => (await db.select().from(departments).where(eq(departments.id, id)))[0],
  // Departments have no slug: nothing to conflict on.
  insert: async (db, values) => (await db.insert(departments).values(values).returning())[0],
  update: async (db, id, changes) =>
    (await db.update(departments).set(changes).where(eq(departments.id, id)).returning())[0],
  deactivate: async (db, id) =>
    (await db.update(departments).set({ isActive: false }).where(eq(departments.id, id)).returning())[0],
};

export async function departmentExists(db: DbOrTx, id: number): Promise<boolean> {
  const [row] = await db.select({ id: departments.id }).from(departments).where(eq(departments.id, id));
  return row !== undefined;
}
