import {
  INT4_MAX,
  LIMITS,
  pgText,
  ROLES,
  ZCreateUserRequest,
  ZId,
  ZUpdateUserRequest,
} from "@helpdesk/contracts";
import { and, asc, eq, gt, ilike, inArray, or, type SQL, sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { userDepartments, users } from "../../platform/db/schema/index.js";
import { decodeCursor, encodeCursor, isIdCursor } from "../../platform/http.js";
import { accessChanged } from "../auth/auth.guard.js";
import { createUserNotFoundError } from "./users.errors.js";
import { presentUser } from "./users.presenter.js";
import { findDepartmentIds, findUserById } from "./users.repository.js";
import { createUser, updateUser } from "./users.usecases.js";

const ZIdParams = z.strictObject({ id: ZId });
const ZUserListQuery = z.strictObject({
  role: z.enum(ROLES).optional(),
  q: pgText().trim().max(LIMITS.searchQueryMax).optional(),
  is_active: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional(),
  department_id: ZId.optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(50),
  cursor: pgText().max(200).optional(),
});
const isUserCursor = isIdCursor(INT4_MAX);

export async function registerUserRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { db, auth } = ctx;

  const presentOne = async (userId: number) => {
    const user = await findUserById(db, userId);
    if (!user) throw createUserNotFoundError();
    return presentUser(user, (await findDepartmentIds(db, [userId])).get(userId) ?? []);
  };

  app.get(
    "/api/users",
    { schema: { tags: ["users"], summary: "List users (staff)", querystring: ZUserListQuery } },
    async (req) => {
      await auth.requireRole(req, "admin", "operator", "executor");
      const q = req.query;
      const where: SQL[] = [];
      if (q.role) where.push(eq(users.role, q.role));
      if (q.is_active !== undefined) where.push(eq(users.isActive, q.is_active));
      if (q.q) {
        const like = `%${q.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
        where.push(or(ilike(users.name, like), ilike(users.email, like))!);
      }
      if (q.department_id) {
        where.push(
          inArray(
            users.id,
            db
              .select({ id: userDepartments.userId })
              .from(userDepartments)
              .where(eq(userDepartments.departmentId, q.department_id)),
          ),
        );
      }
      if (q.cursor) where.push(gt(users.id, decodeCursor(q.cursor, isUserCursor).id));
      const rows = await db
        .select()
        .from(users)
        .where(and(...where))
        .orderBy(asc(users.id))
        .limit(q.limit + 1);
      const page = rows.slice(0, q.limit);
      const deps = await findDepartmentIds(
        db,
        page.map((u) => u.id),
      );
      const last = page.at(-1);
      return {
        results: page.map((u) => presentUser(u, deps.get(u.id) ?? [])),
        next: rows.length > q.limit && last ? encodeCursor({ id: last.id }) : null,
      };
    },
  );

  app.get(
    "/api/users/executors",
    { schema: { tags: ["users"], summary: "Active executors with their current load (open tickets)" } },
    async (req) => {
      await auth.requireRole(req, "admin", "operator");
      const rows = await db.execute<{ id: number; name: string; email: string; open_tickets: number }>(sql`
        SELECT u.id, u.name, u.email,
          (SELECT count(*)::int FROM tickets t WHERE t.assignee_id = u.id AND t.status <> 'closed') AS open_tickets
        FROM users u WHERE u.role = 'executor' AND u.is_active ORDER BY u.name`);
      const deps = await findDepartmentIds(
        db,
        rows.rows.map((r) => r.id),
      );
      return {
        results: rows.rows.map((r) => ({ ...r, department_ids: deps.get(r.id) ?? [] })),
        next: null,
      };
    },
  );

  app.post(
    "/api/users",
    { schema: { tags: ["users"], summary: "Add an employee (admin)", body: ZCreateUserRequest } },
    async (req, reply) => {
      await auth.requireRole(req, "admin");
      const user = await createUser(db, req.body);
      return reply.status(201).send(await presentOne(user.id));
    },
  );

  app.get("/api/users/:id", { schema: { tags: ["users"], params: ZIdParams } }, async (req) => {
    await auth.requireRole(req, "admin", "operator", "executor");
    return presentOne(req.params.id);
  });

  app.patch(
    "/api/users/:id",
    { schema: { tags: ["users"], params: ZIdParams, body: ZUpdateUserRequest } },
    async (req) => {
      const actor = await auth.requireRole(req, "admin");
      await updateUser(db, actor, req.params.id, req.body);
      ctx.bus.publish(accessChanged(req.params.id));
      return presentOne(req.params.id);
    },
  );

  app.post("/api/users/:id/deactivate", { schema: { tags: ["users"], params: ZIdParams } }, async (req) => {
    const actor = await auth.requireRole(req, "admin");
    await updateUser(db, actor, req.params.id, { is_active: false });
    ctx.bus.publish(accessChanged(req.params.id));
    return presentOne(req.params.id);
  });

  app.post("/api/users/:id/activate", { schema: { tags: ["users"], params: ZIdParams } }, async (req) => {
    const actor = await auth.requireRole(req, "admin");
    await updateUser(db, actor, req.params.id, { is_active: true });
    ctx.bus.publish(accessChanged(req.params.id));
    return presentOne(req.params.id);
  });
}
