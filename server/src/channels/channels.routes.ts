import {
  pgText,
  ZChannelAccount,
  ZChannelAccountList,
  ZChannelBulkRequest,
  ZChannelBulkResult,
  ZId,
} from "@helpdesk/contracts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../app-context.js";
import { findChannelAccounts } from "./channel-accounts.repository.js";
import { canManageChannels } from "./channels.policies.js";
import { presentChannelAccount, presentChannelDriver } from "./channels.presenter.js";
import { getChannelAccount, switchChannelAccount, switchChannelAccounts } from "./channels.usecases.js";

const ZIdParams = z.strictObject({ id: ZId });
const ZAccountListQuery = z.strictObject({ kind: pgText().trim().min(1).max(100).optional() });

/**
 * Admin view of every channel account (e-mail, Telegram, the widget…): state, last error and
 * activity, and starting or stopping its receiver. Accounts are created, changed and removed
 * by each channel's own admin routes, not here.
 */
export async function registerChannelAccountRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { db, auth, channels } = ctx;
  const tags = ["channels"];
  const requireAdmin = (req: Parameters<typeof auth.require>[0]) =>
    auth.requireAbility(req, canManageChannels);
  const present = presentChannelAccount.bind(null, channels);

  app.get(
    "/api/admin/channels/accounts",
    {
      schema: {
        tags,
        summary: "Channel accounts of every kind (secrets redacted) and the registered drivers",
        querystring: ZAccountListQuery,
        response: { 200: ZChannelAccountList },
      },
    },
    async (req) => {
      await requireAdmin(req);
      const rows = await findChannelAccounts(db, { kind: req.query.kind });
      return { results: rows.map(present), drivers: channels.list().map(presentChannelDriver) };
    },
  );

  app.post(
    "/api/admin/channels/accounts/bulk",
    {
      schema: {
        tags,
        summary: "Start or stop many accounts at once (unknown ids are listed in `missing`)",
        body: ZChannelBulkRequest,
        response: { 200: ZChannelBulkResult },
      },
    },
    async (req) => {
      await requireAdmin(req);
      const result = await switchChannelAccounts(db, req.body.ids, req.body.action);
      return { ...result, accounts: result.accounts.map(present) };
    },
  );

  app.get(
    "/api/admin/channels/accounts/:id",
    {
      schema: {
        tags,
        summary: "One channel account (404 channels.account_not_found)",
        params: ZIdParams,
        response: { 200: ZChannelAccount },
      },
    },
    async (req) => {
      await requireAdmin(req);
      return present(await getChannelAccount(db, req.params.id));
    },
  );

  for (const action of ["start", "stop"] as const) {
    app.post(
      `/api/admin/channels/accounts/:id/${action}`,
      {
        schema: {
          tags,
          summary:
            action === "start"
              ? "Start an account's receiver: enable it and forget earlier crashes (404 channels.account_not_found)"
              : "Stop an account's receiver: disable it (404 channels.account_not_found)",
          params: ZIdParams,
          response: { 200: ZChannelAccount },
        },
      },
      async (req) => {
        await requireAdmin(req);
        return present(await switchChannelAccount(db, req.params.id, action));
      },
    );
  }
}
