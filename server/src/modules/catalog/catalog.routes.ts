import { LANGUAGES, LIMITS, ZUpdateSettingsRequest } from "@helpdesk/contracts";
import { asc, eq } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { categories, departments, priorities, queues } from "../../platform/db/schema/index.js";
import { AppError, createNotFoundError } from "../../platform/errors.js";
import { accessChanged } from "../auth/auth.guard.js";
import { CATALOG_CHANGED } from "./catalog.cache.js";

const ZIdParams = z.strictObject({
  id: z.coerce
    .number()
    .int()
    .positive()
    .max(2 ** 31 - 1),
});
const name = z.string().trim().min(1).max(LIMITS.nameMax);
const slug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/);

type TLocalized = { nameRu: string; nameEn: string };
const localize = (row: TLocalized, language: string) => (language === "en" ? row.nameEn : row.nameRu);

const slugify = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 50) || `item-${Date.now().toString(36)}`;

/** Queues, categories, priorities, departments: everyone signed in reads; admins write. */
export async function registerCatalogRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { db, auth } = ctx;

  // Queue-to-department links decide who sees which tickets: cached actors must be rebuilt.
  app.addHook("onResponse", async (req, reply) => {
    if (req.method === "GET" || reply.statusCode >= 300) return;
    if (/^\/api\/(queues|departments)\b/.test(req.url)) ctx.bus.publish(accessChanged());
    if (/^\/api\/(queues|categories|priorities)\b/.test(req.url)) {
      ctx.bus.publish({ type: CATALOG_CHANGED, at: new Date().toISOString() });
    }
  });

  // ---- queues ----
  const presentQueue = (q: typeof queues.$inferSelect, lang: string) => ({
    id: q.id,
    slug: q.slug,
    name: localize(q, lang),
    name_ru: q.nameRu,
    name_en: q.nameEn,
    department_id: q.departmentId,
    is_active: q.isActive,
  });
  const ZQueueBody = z.strictObject({
    slug: slug.optional(),
    name_ru: name,
    name_en: name,
    department_id: z.number().int().positive().nullable().optional(),
    is_active: z.boolean().optional(),
  });
  const ensureDepartment = async (id: number | null | undefined) => {
    if (id == null) return;
    const [row] = await db.select({ id: departments.id }).from(departments).where(eq(departments.id, id));
    if (!row) throw new AppError("departments.not_found", 400, "No such department", { department_id: id });
  };
  app.get("/api/queues", { schema: { tags: ["catalog"], summary: "List queues" } }, async (req) => {
    const actor = await auth.require(req);
    const rows = await db.select().from(queues).orderBy(asc(queues.id));
    return { results: rows.map((q) => presentQueue(q, actor.language)), next: null };
  });
  app.post("/api/queues", { schema: { tags: ["catalog"], body: ZQueueBody } }, async (req, reply) => {
    const actor = await auth.requireRole(req, "admin");
    await ensureDepartment(req.body.department_id);
    const [row] = await db
      .insert(queues)
      .values({
        slug: req.body.slug ?? slugify(req.body.name_en),
        nameRu: req.body.name_ru,
        nameEn: req.body.name_en,
        departmentId: req.body.department_id ?? null,
        isActive: req.body.is_active ?? true,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new AppError("queues.slug_taken", 409, "A queue with this slug exists");
    return reply.status(201).send(presentQueue(row, actor.language));
  });
  app.patch(
    "/api/queues/:id",
    { schema: { tags: ["catalog"], params: ZIdParams, body: ZQueueBody.partial() } },
    async (req) => {
      const actor = await auth.requireRole(req, "admin");
      await ensureDepartment(req.body.department_id);
      const [row] = await db
        .update(queues)
        .set({
          nameRu: req.body.name_ru,
          nameEn: req.body.name_en,
          departmentId: req.body.department_id,
          isActive: req.body.is_active,
        })
        .where(eq(queues.id, req.params.id))
        .returning();
      if (!row) throw createNotFoundError("queues.not_found", "No such queue");
      return presentQueue(row, actor.language);
    },
  );
  app.delete("/api/queues/:id", { schema: { tags: ["catalog"], params: ZIdParams } }, async (req, reply) => {
    await auth.requireRole(req, "admin");
    // Tickets keep pointing at the queue, so it is deactivated rather than deleted.
    const [row] = await db
      .update(queues)
      .set({ isActive: false })
      .where(eq(queues.id, req.params.id))
      .returning();
    if (!row) throw createNotFoundError("queues.not_found", "No such queue");
    return reply.status(204).send();
  });

  // ---- categories ----
  const presentCategory = (c: typeof categories.$inferSelect, lang: string) => ({
    id: c.id,
    slug: c.slug,
    name: localize(c, lang),
    name_ru: c.nameRu,
    name_en: c.nameEn,
    is_active: c.isActive,
    sort_order: c.sortOrder,
  });
  const ZCategoryBody = z.strictObject({
    slug: slug.optional(),
    name_ru: name,
    name_en: name,
    sort_order: z.number().int().min(0).max(100000).optional(),
    is_active: z.boolean().optional(),
  });
  app.get("/api/categories", { schema: { tags: ["catalog"], summary: "List categories" } }, async (req) => {
    const actor = await auth.require(req);
    const rows = await db.select().from(categories).orderBy(asc(categories.sortOrder), asc(categories.id));
    return { results: rows.map((c) => presentCategory(c, actor.language)), next: null };
  });
  app.post("/api/categories", { schema: { tags: ["catalog"], body: ZCategoryBody } }, async (req, reply) => {
    const actor = await auth.requireRole(req, "admin");
    const [row] = await db
      .insert(categories)
      .values({
        slug: req.body.slug ?? slugify(req.body.name_en),
        nameRu: req.body.name_ru,
        nameEn: req.body.name_en,
        sortOrder: req.body.sort_order ?? 0,
        isActive: req.body.is_active ?? true,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new AppError("categories.slug_taken", 409, "A category with this slug exists");
    return reply.status(201).send(presentCategory(row, actor.language));
  });
  app.patch(
    "/api/categories/:id",
    { schema: { tags: ["catalog"], params: ZIdParams, body: ZCategoryBody.partial() } },
    async (req) => {
      const actor = await auth.requireRole(req, "admin");
      const [row] = await db
        .update(categories)
        .set({
          nameRu: req.body.name_ru,
          nameEn: req.body.name_en,
          sortOrder: req.body.sort_order,
          isActive: req.body.is_active,
        })
        .where(eq(categories.id, req.params.id))
        .returning();
      if (!row) throw createNotFoundError("categories.not_found", "No such category");
      return presentCategory(row, actor.language);
    },
  );
  app.delete(
    "/api/categories/:id",
    { schema: { tags: ["catalog"], params: ZIdParams } },
    async (req, reply) => {
      await auth.requireRole(req, "admin");
      const [row] = await db
        .update(categories)
        .set({ isActive: false })
        .where(eq(categories.id, req.params.id))
        .returning();
      if (!row) throw createNotFoundError("categories.not_found", "No such category");
      return reply.status(204).send();
    },
  );

  // ---- priorities ----
  const presentPriority = (p: typeof priorities.$inferSelect, lang: string) => ({
    id: p.id,
    slug: p.slug,
    name: localize(p, lang),
    name_ru: p.nameRu,
    name_en: p.nameEn,
    rank: p.rank,
    is_active: p.isActive,
  });
  const ZPriorityBody = z.strictObject({
    slug: slug.optional(),
    name_ru: name,
    name_en: name,
    rank: z.number().int().min(0).max(1000),
    is_active: z.boolean().optional(),
  });
  app.get("/api/priorities", { schema: { tags: ["catalog"], summary: "List priorities" } }, async (req) => {
    const actor = await auth.require(req);
    const rows = await db.select().from(priorities).orderBy(asc(priorities.rank));
    return { results: rows.map((p) => presentPriority(p, actor.language)), next: null };
  });
  app.post("/api/priorities", { schema: { tags: ["catalog"], body: ZPriorityBody } }, async (req, reply) => {
    const actor = await auth.requireRole(req, "admin");
    const [row] = await db
      .insert(priorities)
      .values({
        slug: req.body.slug ?? slugify(req.body.name_en),
        nameRu: req.body.name_ru,
        nameEn: req.body.name_en,
        rank: req.body.rank,
        isActive: req.body.is_active ?? true,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new AppError("priorities.slug_taken", 409, "A priority with this slug exists");
    return reply.status(201).send(presentPriority(row, actor.language));
  });
  app.patch(
    "/api/priorities/:id",
    { schema: { tags: ["catalog"], params: ZIdParams, body: ZPriorityBody.partial() } },
    async (req) => {
      const actor = await auth.requireRole(req, "admin");
      const [row] = await db
        .update(priorities)
        .set({
          nameRu: req.body.name_ru,
          nameEn: req.body.name_en,
          rank: req.body.rank,
          isActive: req.body.is_active,
        })
        .where(eq(priorities.id, req.params.id))
        .returning();
      if (!row) throw createNotFoundError("priorities.not_found", "No such priority");
      return presentPriority(row, actor.language);
    },
  );
  app.delete(
    "/api/priorities/:id",
    { schema: { tags: ["catalog"], params: ZIdParams } },
    async (req, reply) => {
      await auth.requireRole(req, "admin");
      const [row] = await db
        .update(priorities)
        .set({ isActive: false })
        .where(eq(priorities.id, req.params.id))
        .returning();
      if (!row) throw createNotFoundError("priorities.not_found", "No such priority");
      return reply.status(204).send();
    },
  );

  // ---- departments ----
  const presentDepartment = (d: typeof departments.$inferSelect, lang: string) => ({
    id: d.id,
    name: localize(d, lang),
    name_ru: d.nameRu,
    name_en: d.nameEn,
    is_active: d.isActive,
  });
  const ZDepartmentBody = z.strictObject({ name_ru: name, name_en: name, is_active: z.boolean().optional() });
  app.get("/api/departments", { schema: { tags: ["catalog"], summary: "List departments" } }, async (req) => {
    const actor = await auth.require(req);
    const rows = await db.select().from(departments).orderBy(asc(departments.id));
    return { results: rows.map((d) => presentDepartment(d, actor.language)), next: null };
  });
  app.post(
    "/api/departments",
    { schema: { tags: ["catalog"], body: ZDepartmentBody } },
    async (req, reply) => {
      const actor = await auth.requireRole(req, "admin");
      const [row] = await db
        .insert(departments)
        .values({ nameRu: req.body.name_ru, nameEn: req.body.name_en, isActive: req.body.is_active ?? true })
        .returning();
      return reply.status(201).send(presentDepartment(row!, actor.language));
    },
  );
  app.patch(
    "/api/departments/:id",
    { schema: { tags: ["catalog"], params: ZIdParams, body: ZDepartmentBody.partial() } },
    async (req) => {
      const actor = await auth.requireRole(req, "admin");
      const [row] = await db
        .update(departments)
        .set({ nameRu: req.body.name_ru, nameEn: req.body.name_en, isActive: req.body.is_active })
        .where(eq(departments.id, req.params.id))
        .returning();
      if (!row) throw createNotFoundError("departments.not_found", "No such department");
      return presentDepartment(row, actor.language);
    },
  );
  app.delete(
    "/api/departments/:id",
    { schema: { tags: ["catalog"], params: ZIdParams } },
    async (req, reply) => {
      await auth.requireRole(req, "admin");
      const [row] = await db
        .update(departments)
        .set({ isActive: false })
        .where(eq(departments.id, req.params.id))
        .returning();
      if (!row) throw createNotFoundError("departments.not_found", "No such department");
      return reply.status(204).send();
    },
  );

  // ---- settings ----
  app.get(
    "/api/settings/public",
    { schema: { tags: ["settings"], summary: "Settings the sign-up page needs" } },
    async () => {
      const s = await ctx.settings.get();
      return {
        allowed_email_domain: await ctx.settings.allowedEmailDomain(),
        organisation_name: s.organisation_name,
        default_language: s.default_language,
        languages: LANGUAGES,
      };
    },
  );
  app.get("/api/settings", { schema: { tags: ["settings"] } }, async (req) => {
    await auth.requireRole(req, "admin");
    return { ...(await ctx.settings.get()), env_overrides: ctx.settings.envOverrides };
  });
  app.patch(
    "/api/settings",
    { schema: { tags: ["settings"], body: ZUpdateSettingsRequest } },
    async (req) => {
      await auth.requireRole(req, "admin");
      return { ...(await ctx.settings.update(req.body)), env_overrides: ctx.settings.envOverrides };
    },
  );
}
