import {
  LANGUAGES,
  pageOf,
  ZAdminSettings,
  ZCategory,
  ZDepartment,
  ZId,
  ZNoContent,
  ZPriority,
  ZPublicSettings,
  ZQueue,
  ZUpdateSettingsRequest,
} from "@helpdesk/contracts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { CATALOG_SINGULAR } from "./catalog.errors.js";
import { canManageCatalog, canManageSettings, canReadCatalog } from "./catalog.policies.js";
import { presentCategory, presentDepartment, presentPriority, presentQueue } from "./catalog.presenter.js";
import { toPatchBody, ZCategoryBody, ZDepartmentBody, ZPriorityBody, ZQueueBody } from "./catalog.schemas.js";
import {
  categoryRules,
  changeAdminSettings,
  createCatalogItem,
  deactivateCatalogItem,
  departmentRules,
  getAdminSettings,
  priorityRules,
  queueRules,
  type TCatalogRules,
  updateCatalogItem,
} from "./catalog.usecases.js";

const ZIdParams = z.strictObject({ id: ZId });

/** One kind of reference data over HTTP: its rules, request body and how it is shown. */
type TKindRoutes<TRow, TBody extends z.ZodObject, TItem extends z.ZodType> = {
  rules: TCatalogRules<TRow, z.infer<TBody>>;
  body: TBody;
  item: TItem;
  present(row: TRow, language: string): z.infer<TItem>;
};

/** The same routes for every kind: list for everyone signed in; create, edit and deactivate for admins. */
function registerKind<TRow, TBody extends z.ZodObject, TItem extends z.ZodType>(
  root: FastifyInstance,
  ctx: AppContext,
  { rules, body, item, present }: TKindRoutes<TRow, TBody, TItem>,
) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { db, auth, bus } = ctx;
  const tags = ["catalog"];
  const path = rules.kind;
  const one = CATALOG_SINGULAR[path];
  // The callers' types check `present` against `item`; inside, the schema documents the answer.
  const itemSchema: z.ZodType = item;

  app.get(
    `/api/${path}`,
    { schema: { tags, summary: `List ${path}`, response: { 200: pageOf(itemSchema) } } },
    async (req) => {
      const actor = await auth.requireAbility(req, canReadCatalog);
      return { results: (await rules.list(db)).map((r) => present(r, actor.language)), next: null };
    },
  );
  app.post(
    `/api/${path}`,
    { schema: { tags, summary: `Add a ${one} (admin)`, body, response: { 201: itemSchema } } },
    async (req, reply) => {
      const actor = await auth.requireAbility(req, canManageCatalog);
      const row = await createCatalogItem({ db, bus }, rules, req.body as z.infer<TBody>);
      return reply.status(201).send(present(row, actor.language));
    },
  );
  app.patch(
    `/api/${path}/:id`,
    {
      schema: {
        tags,
        summary: `Edit a ${one} (admin)`,
        params: ZIdParams,
        body: toPatchBody(body),
        response: { 200: itemSchema },
      },
    },
    async (req) => {
      const actor = await auth.requireAbility(req, canManageCatalog);
      const row = await updateCatalogItem(
        { db, bus },
        rules,
        req.params.id,
        req.body as Partial<z.infer<TBody>>,
      );
      return present(row, actor.language);
    },
  );
  app.delete(
    `/api/${path}/:id`,
    {
      schema: {
        tags,
        summary: `Deactivate a ${one} (admin)`,
        params: ZIdParams,
        response: { 204: ZNoContent },
      },
    },
    async (req, reply) => {
      await auth.requireAbility(req, canManageCatalog);
      await deactivateCatalogItem({ db, bus }, rules, req.params.id);
      return reply.status(204).send(null);
    },
  );
}

/** Queues, categories, priorities, departments (everyone signed in reads; admins write), and settings. */
export async function registerCatalogRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  registerKind(root, ctx, { rules: queueRules, body: ZQueueBody, item: ZQueue, present: presentQueue });
  registerKind(root, ctx, {
    rules: categoryRules,
    body: ZCategoryBody,
    item: ZCategory,
    present: presentCategory,
  });
  registerKind(root, ctx, {
    rules: priorityRules,
    body: ZPriorityBody,
    item: ZPriority,
    present: presentPriority,
  });
  registerKind(root, ctx, {
    rules: departmentRules,
    body: ZDepartmentBody,
    item: ZDepartment,
    present: presentDepartment,
  });

  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    "/api/settings/public",
    {
      schema: {
        tags: ["settings"],
        summary: "Settings the sign-up page needs",
        response: { 200: ZPublicSettings },
      },
    },
    async () => {
      const s = await ctx.settings.get();
      return {
        allowed_email_domain: await ctx.settings.allowedEmailDomain(),
        organisation_name: s.organisation_name,
        default_language: s.default_language,
        languages: [...LANGUAGES],
      };
    },
  );
  app.get(
    "/api/settings",
    {
      schema: {
        tags: ["settings"],
        summary: "Organisation settings (admin)",
        response: { 200: ZAdminSettings },
      },
    },
    async (req) => {
      await ctx.auth.requireAbility(req, canManageSettings);
      return getAdminSettings(ctx.settings);
    },
  );
  app.patch(
    "/api/settings",
    {
      schema: {
        tags: ["settings"],
        summary: "Change organisation settings (admin)",
        body: ZUpdateSettingsRequest,
        response: { 200: ZAdminSettings },
      },
    },
    async (req) => {
      await ctx.auth.requireAbility(req, canManageSettings);
      return changeAdminSettings(ctx.settings, req.body);
    },
  );
}
