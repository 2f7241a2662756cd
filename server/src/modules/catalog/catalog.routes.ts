import { LANGUAGES, LIMITS, pgText, ZId, ZUpdateSettingsRequest } from "@helpdesk/contracts";
import { asc, eq } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import type { DbOrTx } from "../../platform/db/index.js";
import { categories, departments, priorities, queues } from "../../platform/db/schema/index.js";
import { AppError } from "../../platform/errors.js";
import { accessChanged } from "../auth/auth.guard.js";

const ZIdParams = z.strictObject({ id: ZId });
const name = pgText().trim().min(1).max(LIMITS.nameMax);
const slug = pgText()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/);

const localize = (row: { nameRu: string; nameEn: string }, language: string) =>
  language === "en" ? row.nameEn : row.nameRu;

const slugify = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 50) || `item-${Date.now().toString(36)}`;

/**
 * One kind of reference data: how to read, write and show it. The routes (list for everyone
 * signed in; create, edit and deactivate for admins) are the same for every kind.
 */
type TKind<TRow, TBody extends z.ZodObject> = {
  path: "queues" | "categories" | "priorities" | "departments";
  body: TBody;
  list(db: DbOrTx): Promise<TRow[]>;
  find(db: DbOrTx, id: number): Promise<TRow | undefined>;
  /** undefined when the slug is taken. */
  create(db: DbOrTx, body: z.infer<TBody>): Promise<TRow | undefined>;
  update(db: DbOrTx, id: number, body: Partial<z.infer<TBody>>): Promise<TRow | undefined>;
  /** Rows stay (tickets point at them); deleting deactivates. */
  deactivate(db: DbOrTx, id: number): Promise<TRow | undefined>;
  present(row: TRow, language: string): Record<string, unknown>;
  check?(db: DbOrTx, body: Partial<z.infer<TBody>>): Promise<void>;
  /** Queue-to-department links decide who sees which tickets. */
  changesAccess: boolean;
  /** Read on every ticket write through the in-memory catalog. */
  changesCatalog: boolean;
};

const singular = {
  queues: "queue",
  categories: "category",
  priorities: "priority",
  departments: "department",
};

function registerKind<TRow, TBody extends z.ZodObject>(
  root: FastifyInstance,
  ctx: AppContext,
  kind: TKind<TRow, TBody>,
) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { db, auth } = ctx;
  const tags = ["catalog"];
  const notFound = () => new AppError(`${kind.path}.not_found`, 404, `No such ${singular[kind.path]}`);
  const changed = () => {
    if (kind.changesAccess) ctx.bus.publish(accessChanged());
    if (kind.changesCatalog) ctx.bus.publish({ type: "catalog_changed", at: new Date().toISOString() });
  };

  app.get(`/api/${kind.path}`, { schema: { tags, summary: `List ${kind.path}` } }, async (req) => {
    const actor = await auth.require(req);
    return { results: (await kind.list(db)).map((r) => kind.present(r, actor.language)), next: null };
  });
  app.post(
    `/api/${kind.path}`,
    { schema: { tags, summary: `Add a ${singular[kind.path]} (admin)`, body: kind.body } },
    async (req, reply) => {
      const actor = await auth.requireRole(req, "admin");
      const body = req.body as z.infer<TBody>;
      await kind.check?.(db, body);
      const row = await kind.create(db, body);
      if (!row)
        throw new AppError(`${kind.path}.slug_taken`, 409, `A ${singular[kind.path]} with this slug exists`);
      changed();
      return reply.status(201).send(kind.present(row, actor.language));
    },
  );
  app.patch(
    `/api/${kind.path}/:id`,
    {
      schema: {
        tags,
        summary: `Edit a ${singular[kind.path]} (admin)`,
        params: ZIdParams,
        // The slug is fixed at creation: seed data and code find rows by it.
        body: z
          .strictObject(Object.fromEntries(Object.entries(kind.body.shape).filter(([key]) => key !== "slug")))
          .partial(),
      },
    },
    async (req) => {
      const actor = await auth.requireRole(req, "admin");
      const body = req.body as Partial<z.infer<TBody>>;
      // An empty PATCH changes nothing and writes nothing: it answers the row as it is.
      if (Object.values(body).every((v) => v === undefined)) {
        const row = await kind.find(db, req.params.id);
        if (!row) throw notFound();
        return kind.present(row, actor.language);
      }
      await kind.check?.(db, body);
      const row = await kind.update(db, req.params.id, body);
      if (!row) throw notFound();
      changed();
      return kind.present(row, actor.language);
    },
  );
  app.delete(
    `/api/${kind.path}/:id`,
    { schema: { tags, summary: `Deactivate a ${singular[kind.path]} (admin)`, params: ZIdParams } },
    async (req, reply) => {
      await auth.requireRole(req, "admin");
      if (!(await kind.deactivate(db, req.params.id))) throw notFound();
      changed();
      return reply.status(204).send();
    },
  );
}

/** Queues, categories, priorities, departments (everyone signed in reads; admins write), and settings. */
export async function registerCatalogRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  registerKind(root, ctx, {
    path: "queues",
    body: z.strictObject({
      slug: slug.optional(),
      name_ru: name,
      name_en: name,
      department_id: ZId.nullable().optional(),
      is_active: z.boolean().optional(),
    }),
    list: (db) => db.select().from(queues).orderBy(asc(queues.id)),
    find: async (db, id) => (await db.select().from(queues).where(eq(queues.id, id)))[0],
    async check(db, body) {
      if (body.department_id == null) return;
      const [row] = await db
        .select({ id: departments.id })
        .from(departments)
        .where(eq(departments.id, body.department_id));
      if (!row)
        throw new AppError("departments.not_found", 400, "No such department", {
          department_id: body.department_id,
        });
    },
    create: async (db, b) =>
      (
        await db
          .insert(queues)
          .values({
            slug: b.slug ?? slugify(b.name_en),
            nameRu: b.name_ru,
            nameEn: b.name_en,
            departmentId: b.department_id ?? null,
            isActive: b.is_active ?? true,
          })
          .onConflictDoNothing()
          .returning()
      )[0],
    update: async (db, id, b) =>
      (
        await db
          .update(queues)
          .set({ nameRu: b.name_ru, nameEn: b.name_en, departmentId: b.department_id, isActive: b.is_active })
          .where(eq(queues.id, id))
          .returning()
      )[0],
    deactivate: async (db, id) =>
      (await db.update(queues).set({ isActive: false }).where(eq(queues.id, id)).returning())[0],
    present: (q, lang) => ({
      id: q.id,
      slug: q.slug,
      name: localize(q, lang),
      name_ru: q.nameRu,
      name_en: q.nameEn,
      department_id: q.departmentId,
      is_active: q.isActive,
    }),
    changesAccess: true,
    changesCatalog: true,
  });

  registerKind(root, ctx, {
    path: "categories",
    body: z.strictObject({
      slug: slug.optional(),
      name_ru: name,
      name_en: name,
      sort_order: z.number().int().min(0).max(100000).optional(),
      is_active: z.boolean().optional(),
    }),
    list: (db) => db.select().from(categories).orderBy(asc(categories.sortOrder), asc(categories.id)),
    find: async (db, id) => (await db.select().from(categories).where(eq(categories.id, id)))[0],
    create: async (db, b) =>
      (
        await db
          .insert(categories)
          .values({
            slug: b.slug ?? slugify(b.name_en),
            nameRu: b.name_ru,
            nameEn: b.name_en,
            sortOrder: b.sort_order ?? 0,
            isActive: b.is_active ?? true,
          })
          .onConflictDoNothing()
          .returning()
      )[0],
    update: async (db, id, b) =>
      (
        await db
          .update(categories)
          .set({ nameRu: b.name_ru, nameEn: b.name_en, sortOrder: b.sort_order, isActive: b.is_active })
          .where(eq(categories.id, id))
          .returning()
      )[0],
    deactivate: async (db, id) =>
      (await db.update(categories).set({ isActive: false }).where(eq(categories.id, id)).returning())[0],
    present: (c, lang) => ({
      id: c.id,
      slug: c.slug,
      name: localize(c, lang),
      name_ru: c.nameRu,
      name_en: c.nameEn,
      is_active: c.isActive,
      sort_order: c.sortOrder,
    }),
    changesAccess: false,
    changesCatalog: true,
  });

  registerKind(root, ctx, {
    path: "priorities",
    body: z.strictObject({
      slug: slug.optional(),
      name_ru: name,
      name_en: name,
      rank: z.number().int().min(0).max(1000),
      is_active: z.boolean().optional(),
    }),
    list: (db) => db.select().from(priorities).orderBy(asc(priorities.rank)),
    find: async (db, id) => (await db.select().from(priorities).where(eq(priorities.id, id)))[0],
    create: async (db, b) =>
      (
        await db
          .insert(priorities)
          .values({
            slug: b.slug ?? slugify(b.name_en),
            nameRu: b.name_ru,
            nameEn: b.name_en,
            rank: b.rank,
            isActive: b.is_active ?? true,
          })
          .onConflictDoNothing()
          .returning()
      )[0],
    update: async (db, id, b) =>
      (
        await db
          .update(priorities)
          .set({ nameRu: b.name_ru, nameEn: b.name_en, rank: b.rank, isActive: b.is_active })
          .where(eq(priorities.id, id))
          .returning()
      )[0],
    deactivate: async (db, id) =>
      (await db.update(priorities).set({ isActive: false }).where(eq(priorities.id, id)).returning())[0],
    present: (p, lang) => ({
      id: p.id,
      slug: p.slug,
      name: localize(p, lang),
      name_ru: p.nameRu,
      name_en: p.nameEn,
      rank: p.rank,
      is_active: p.isActive,
    }),
    changesAccess: false,
    changesCatalog: true,
  });

  registerKind(root, ctx, {
    path: "departments",
    body: z.strictObject({ name_ru: name, name_en: name, is_active: z.boolean().optional() }),
    list: (db) => db.select().from(departments).orderBy(asc(departments.id)),
    find: async (db, id) => (await db.select().from(departments).where(eq(departments.id, id)))[0],
    create: async (db, b) =>
      (
        await db
          .insert(departments)
          .values({ nameRu: b.name_ru, nameEn: b.name_en, isActive: b.is_active ?? true })
          .returning()
      )[0],
    update: async (db, id, b) =>
      (
        await db
          .update(departments)
          .set({ nameRu: b.name_ru, nameEn: b.name_en, isActive: b.is_active })
          .where(eq(departments.id, id))
          .returning()
      )[0],
    deactivate: async (db, id) =>
      (await db.update(departments).set({ isActive: false }).where(eq(departments.id, id)).returning())[0],
    present: (d, lang) => ({
      id: d.id,
      name: localize(d, lang),
      name_ru: d.nameRu,
      name_en: d.nameEn,
      is_active: d.isActive,
    }),
    changesAccess: true,
    changesCatalog: false,
  });

  const app = root.withTypeProvider<ZodTypeProvider>();
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
    await ctx.auth.requireRole(req, "admin");
    return { ...(await ctx.settings.get()), env_overrides: ctx.settings.envOverrides };
  });
  app.patch(
    "/api/settings",
    { schema: { tags: ["settings"], body: ZUpdateSettingsRequest } },
    async (req) => {
      await ctx.auth.requireRole(req, "admin");
      return { ...(await ctx.settings.update(req.body)), env_overrides: ctx.settings.envOverrides };
    },
  );
}
