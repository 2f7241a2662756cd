import {
  INT4_MAX,
  LIMITS,
  pgText,
  ROLES,
  ZCreateUserRequest,
  ZExecutorPage,
  ZId,
  ZUpdateUserRequest,
  ZUser,
  ZUserPage,
} from "@helpdesk/contracts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { decodeCursor, encodeCursor, isIdCursor } from "../../platform/http.js";
import { accessChanged } from "../auth/auth.guard.js";
import { canListExecutors, canListUsers, canManageUsers, canViewUser } from "./users.policies.js";
import { createUser, getUser, listExecutors, listUsers, updateUser } from "./users.usecases.js";

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
  const tags = ["users"];

  app.get(
    "/api/users",
    {
      schema: {
        tags,
        summary: "List users (staff)",
        querystring: ZUserListQuery,
        response: { 200: ZUserPage },
      },
    },
    async (req) => {
      await auth.requireAbility(req, canListUsers);
      const q = req.query;
      const page = await listUsers(
        db,
        {
          role: q.role,
          isActive: q.is_active,
          text: q.q,
          departmentId: q.department_id,
          afterId: q.cursor ? decodeCursor(q.cursor, isUserCursor).id : undefined,
        },
        q.limit,
      );
      return { results: page.results, next: page.lastId === null ? null : encodeCursor({ id: page.lastId }) };
    },
  );

  app.get(
    "/api/users/executors",
    {
      schema: {
        tags,
        summary: "Active executors with their current load (open tickets)",
        response: { 200: ZExecutorPage },
      },
    },
    async (req) => {
      await auth.requireAbility(req, canListExecutors);
      return { results: await listExecutors(db), next: null };
    },
  );

  app.post(
    "/api/users",
    {
      schema: {
        tags,
        summary: "Add an employee (admin)",
        body: ZCreateUserRequest,
        response: { 201: ZUser },
      },
    },
    async (req, reply) => {
      await auth.requireAbility(req, canManageUsers);
      const user = await createUser(db, req.body);
      return reply.status(201).send(await getUser(db, user.id));
    },
  );

  app.get(
    "/api/users/:id",
    { schema: { tags, summary: "One user (staff)", params: ZIdParams, response: { 200: ZUser } } },
    async (req) => {
      await auth.requireAbility(req, canViewUser);
      return getUser(db, req.params.id);
    },
  );

  app.patch(
    "/api/users/:id",
    {
      schema: {
        tags,
        summary: "Edit a user (admin)",
        params: ZIdParams,
        body: ZUpdateUserRequest,
        response: { 200: ZUser },
      },
    },
    async (req) => {
      const actor = await auth.requireAbility(req, canManageUsers);
      await updateUser(db, actor, req.params.id, req.body);
      ctx.bus.publish(accessChanged(req.params.id));
      return getUser(db, req.params.id);
    },
  );

  for (const [action, isActive] of [
    ["deactivate", false],
    ["activate", true],
  ] as const) {
    app.post(
      `/api/users/:id/${action}`,
      {
        schema: {
          tags,
          summary: isActive
            ? "Reactivate a user (admin)"
            : "Deactivate a user: sessions and API tokens end (admin)",
          params: ZIdParams,
          response: { 200: ZUser },
        },
      },
      async (req) => {
        const actor = await auth.requireAbility(req, canManageUsers);
        await updateUser(db, actor, req.params.id, { is_active: isActive });
        ctx.bus.publish(accessChanged(req.params.id));
        return getUser(db, req.params.id);
      },
    );
  }
}
