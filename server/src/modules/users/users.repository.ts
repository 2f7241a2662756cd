import type { TRole } from "@helpdesk/contracts";
import { and, asc, eq, gt, ilike, inArray, or, type SQL, sql } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/index.js";
import { departments, userDepartments, users } from "../../platform/db/schema/index.js";

export async function findUserByEmail(db: DbOrTx, email: string) {
  const [row] = await db.select().from(users).where(sql`lower(${users.email}) = ${email.toLowerCase()}`);
  return row;
}

export async function findUserById(db: DbOrTx, id: number) {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row;
}

export type TUserListFilter = {
  role?: TRole;
  isActive?: boolean;
  /** Part of the name or e-mail, matched literally. */
  text?: string;
  departmentId?: number;
  /** Keyset: users with a greater id. */
  afterId?: number;
  limit: number;
};

/** Users by id, filtered; `limit` rows at most. */
export async function findUsers(db: DbOrTx, f: TUserListFilter) {
  const where: SQL[] = [];
  if (f.role) where.push(eq(users.role, f.role));
  if (f.isActive !== undefined) where.push(eq(users.isActive, f.isActive));
  if (f.text) {
    const like = `%${f.text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    where.push(or(ilike(users.name, like), ilike(users.email, like))!);
  }
  if (f.departmentId) {
    where.push(
      inArray(
        users.id,
        db
          .select({ id: userDepartments.userId })
          .from(userDepartments)
          .where(eq(userDepartments.departmentId, f.departmentId)),
      ),
    );
  }
  if (f.afterId !== undefined) where.push(gt(users.id, f.afterId));
  return db
    .select()
    .from(users)
    .where(and(...where))
    .orderBy(asc(users.id))
    .limit(f.limit);
}

/** Active executors by name, with how many open tickets each has. */
export async function findExecutorsWithLoad(db: DbOrTx) {
  const rows = await db.execute<{ id: number; name: string; email: string; open_tickets: number }>(sql`
    SELECT u.id, u.name, u.email,
      (SELECT count(*)::int FROM tickets t WHERE t.assignee_id = u.id AND t.status <> 'closed') AS open_tickets
    FROM users u WHERE u.role = 'executor' AND u.is_active ORDER BY u.name`);
  return rows.rows;
}

export type TUserValues = typeof users.$inferInsert;

export async function insertUser(db: DbOrTx, values: TUserValues) {
  const [row] = await db.insert(users).values(values).returning();
  return row!;
}

/** The updated row, or undefined when there is no such user. */
export async function updateUserRow(db: DbOrTx, userId: number, changes: Partial<TUserValues>) {
  const [row] = await db.update(users).set(changes).where(eq(users.id, userId)).returning();
  return row;
}

export async function findDepartmentIds(db: DbOrTx, userIds: number[]): Promise<Map<number, number[]>> {
  const map = new Map<number, number[]>();
  if (userIds.length === 0) return map;
  const rows = await db.select().from(userDepartments).where(inArray(userDepartments.userId, userIds));
  for (const r of rows) map.set(r.userId, [...(map.get(r.userId) ?? []), r.departmentId]);
  return map;
}

/** Returns the ids among `ids` that are not existing departments. */
export async function findMissingDepartments(db: DbOrTx, ids: number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await db.select({ id: departments.id }).from(departments).where(inArray(departments.id, ids));
  const found = new Set(rows.map((r) => r.id));
  return ids.filter((id) => !found.has(id));
}

export async function replaceUserDepartments(db: DbOrTx, userId: number, departmentIds: number[]) {
  await db.delete(userDepartments).where(eq(userDepartments.userId, userId));
  if (departmentIds.length > 0) {
    await db
      .insert(userDepartments)
      .values([...new Set(departmentIds)].map((departmentId) => ({ userId, departmentId })));
  }
}

export async function countActiveAdmins(db: DbOrTx): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(users)
    .where(and(eq(users.role, "admin"), eq(users.isActive, true)));
  return row?.n ?? 0;
}
