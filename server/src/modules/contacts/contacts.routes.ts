import { ZId } from "@helpdesk/contracts";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { createContactNotFoundError } from "./contacts.errors.js";
import { canManageContacts } from "./contacts.policies.js";
import { findContactUser, listIdentities } from "./contacts.repository.js";
import { mergeContacts } from "./contacts.usecases.js";

const ZIdentity = z.object({
  id: z.number(),
  channel: z.string(),
  external_id: z.string(),
  display_name: z.string().nullable(),
  language: z.enum(["ru", "en"]).nullable(),
  created_at: z.string(),
  last_seen_at: z.string(),
});

/** How requesters are reached (channel identities) and merging two records of one person. */
export async function registerContactRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const requireManager = (req: FastifyRequest) =>
    ctx.auth.requireAbility(req, canManageContacts, "contacts.forbidden");

  app.get(
    "/api/contacts/:id/identities",
    {
      schema: {
        tags: ["contacts"],
        summary: "How a requester is reached: their e-mail address and Telegram, widget… identities",
        params: z.strictObject({ id: ZId }),
        response: {
          200: z.object({
            /** The e-mail identity is the account's own address. */
            email: z.string().nullable(),
            results: z.array(ZIdentity),
            next: z.null(),
          }),
        },
      },
    },
    async (req) => {
      await requireManager(req);
      const user = await findContactUser(ctx.db, req.params.id);
      if (user?.role !== "requester") throw createContactNotFoundError();
      const rows = await listIdentities(ctx.db, user.id);
      const identities = rows.map((r) => ({
        ...r,
        created_at: r.created_at.toISOString(),
        last_seen_at: r.last_seen_at.toISOString(),
      }));
      return { email: user.email, results: identities, next: null };
    },
  );

  app.post(
    "/api/contacts/merge",
    {
      schema: {
        tags: ["contacts"],
        summary: "Merge one requester into another (same person on two channels); history is kept",
        body: z.strictObject({ source_id: ZId, target_id: ZId }),
        response: {
          200: z.object({
            user_id: z.number(),
            merged_id: z.number(),
            moved: z.object({ tickets: z.number(), messages: z.number(), identities: z.number() }),
          }),
        },
      },
    },
    async (req) => {
      const actor = await requireManager(req);
      return mergeContacts(ctx, actor, { sourceId: req.body.source_id, targetId: req.body.target_id });
    },
  );
}
