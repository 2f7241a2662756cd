import { pgText, ZBigId } from "@helpdesk/contracts";
import { and, desc, eq, isNull, lt, type SQL, sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import {
  notificationDeliveries,
  notifications,
  ticketWatchers,
  users,
} from "../../platform/db/schema/index.js";
import { createNotFoundError } from "../../platform/errors.js";
import { decodeCursor, encodeCursor, isIdCursor } from "../../platform/http.js";
import type { TActor } from "../auth/auth.actor.js";
import { canSeeInternalNotes, ticketVisibilitySql } from "../tickets/tickets.policies.js";
import { loadVisibleTicket } from "../tickets/tickets.routes.js";
import { presentNotification } from "./notifications.engine.js";
import { resolvePreferences, ZNotificationPreferences } from "./notifications.preferences.js";
import { deleteSubscription, getVapidKeys, saveSubscription } from "./notifications.push.js";

const isNotificationCursor = isIdCursor(Number.MAX_SAFE_INTEGER);
const ZIdParams = z.strictObject({ id: ZBigId });
const ZPushSubscription = z.strictObject({
  endpoint: pgText().max(2000).pipe(z.url()),
  keys: z.strictObject({ p256dh: pgText().min(10).max(200), auth: pgText().min(4).max(100) }),
  expirationTime: z.number().nullable().optional(),
});

/**
 * A stored in-app notification is shown only while its reader may still see its ticket (and,
 * for a note, notes): one about a ticket that moved to another department stays hidden.
 */
function visibleNotificationSql(actor: TActor): SQL {
  const notes = canSeeInternalNotes(actor) ? sql`true` : sql`${notifications.kind} <> 'new_note'`;
  return sql`(${notifications.ticketId} IS NULL OR EXISTS (
    SELECT 1 FROM tickets t WHERE t.id = ${notifications.ticketId} AND ${ticketVisibilitySql(actor)}))
    AND ${notes}`;
}

export async function registerNotificationRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { db, auth } = ctx;

  app.get(
    "/api/notifications",
    {
      schema: {
        tags: ["notifications"],
        summary: "My notifications, newest first",
        querystring: z.strictObject({
          unread: z.enum(["true", "false"]).optional(),
          cursor: pgText().max(200).optional(),
          limit: z.coerce.number().int().min(1).max(100).default(30),
        }),
      },
    },
    async (req) => {
      const actor = await auth.require(req);
      const visible = visibleNotificationSql(actor);
      const where: SQL[] = [eq(notifications.userId, actor.id), visible];
      if (req.query.unread === "true") where.push(isNull(notifications.readAt));
      if (req.query.cursor)
        where.push(lt(notifications.id, decodeCursor(req.query.cursor, isNotificationCursor).id));
      const rows = await db
        .select()
        .from(notifications)
        .where(and(...where))
        .orderBy(desc(notifications.id))
        .limit(req.query.limit + 1);
      const page = rows.slice(0, req.query.limit);
      const [count] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(notifications)
        .where(and(eq(notifications.userId, actor.id), isNull(notifications.readAt), visible));
      return {
        results: page.map(presentNotification),
        next: rows.length > req.query.limit ? encodeCursor({ id: page.at(-1)!.id }) : null,
        unread_count: Number(count?.n ?? 0),
      };
    },
  );

  app.post(
    "/api/notifications/:id/read",
    { schema: { tags: ["notifications"], summary: "Mark one notification read", params: ZIdParams } },
    async (req) => {
      const actor = await auth.require(req);
      const [row] = await db
        .update(notifications)
        .set({ readAt: sql`coalesce(${notifications.readAt}, now())` })
        .where(and(eq(notifications.id, req.params.id), eq(notifications.userId, actor.id)))
        .returning();
      if (!row) throw createNotFoundError("notifications.not_found", "Notification not found");
      return presentNotification(row);
    },
  );

  app.post(
    "/api/notifications/read-all",
    { schema: { tags: ["notifications"], summary: "Mark all my notifications read" } },
    async (req) => {
      const actor = await auth.require(req);
      const rows = await db
        .update(notifications)
        .set({ readAt: new Date() })
        .where(and(eq(notifications.userId, actor.id), isNull(notifications.readAt)))
        .returning({ id: notifications.id });
      return { updated: rows.length, unread_count: 0 };
    },
  );

  app.get(
    "/api/notifications/preferences",
    { schema: { tags: ["notifications"], summary: "My notification preferences (per event × channel)" } },
    async (req) => {
      const actor = await auth.require(req);
      const [u] = await db
        .select({ preferences: users.preferences })
        .from(users)
        .where(eq(users.id, actor.id));
      return resolvePreferences((u?.preferences as { notifications?: unknown } | null)?.notifications);
    },
  );

  app.put(
    "/api/notifications/preferences",
    {
      schema: {
        tags: ["notifications"],
        summary: "Replace my notification preferences",
        body: ZNotificationPreferences,
      },
    },
    async (req) => {
      const actor = await auth.require(req);
      await db
        .update(users)
        .set({
          preferences: sql`jsonb_set(coalesce(${users.preferences}, '{}'::jsonb), '{notifications}', ${JSON.stringify(req.body)}::jsonb)`,
          updatedAt: new Date(),
        })
        .where(eq(users.id, actor.id));
      return req.body;
    },
  );

  app.get(
    "/api/push/vapid-public-key",
    { schema: { tags: ["notifications"], summary: "The VAPID public key for PushManager.subscribe" } },
    async (req) => {
      await auth.require(req);
      return { public_key: (await getVapidKeys(ctx)).publicKey };
    },
  );

  app.post(
    "/api/push/subscriptions",
    {
      schema: {
        tags: ["notifications"],
        summary: "Register this browser for web push",
        body: ZPushSubscription,
      },
    },
    async (req, reply) => {
      const actor = await auth.require(req);
      await saveSubscription(ctx, actor.id, req.body);
      return reply.code(201).send({ ok: true });
    },
  );

  app.delete(
    "/api/push/subscriptions",
    {
      schema: {
        tags: ["notifications"],
        summary: "Unregister a browser from web push",
        body: z.strictObject({ endpoint: pgText().max(2000) }),
      },
    },
    async (req, reply) => {
      const actor = await auth.require(req);
      await deleteSubscription(ctx, actor.id, req.body.endpoint);
      return reply.code(204).send();
    },
  );

  app.post(
    "/api/tickets/:id/watch",
    {
      schema: {
        tags: ["notifications"],
        summary: "Follow a ticket (get its notifications)",
        params: ZIdParams,
      },
    },
    async (req) => {
      const actor = await auth.require(req);
      await loadVisibleTicket(db, actor, req.params.id);
      await db
        .insert(ticketWatchers)
        .values({ ticketId: req.params.id, userId: actor.id })
        .onConflictDoNothing();
      return { watching: true };
    },
  );
  app.delete(
    "/api/tickets/:id/watch",
    { schema: { tags: ["notifications"], summary: "Stop following a ticket", params: ZIdParams } },
    async (req) => {
      const actor = await auth.require(req);
      await db
        .delete(ticketWatchers)
        .where(and(eq(ticketWatchers.ticketId, req.params.id), eq(ticketWatchers.userId, actor.id)));
      return { watching: false };
    },
  );

  app.get(
    "/api/admin/notifications/deliveries",
    {
      schema: {
        tags: ["notifications"],
        summary: "Delivery log (admin)",
        querystring: z.strictObject({
          status: z.enum(["queued", "sending", "sent", "failed", "retrying", "skipped"]).optional(),
          channel: z.enum(["email", "in_app", "web_push", "telegram"]).optional(),
          event_id: ZBigId.optional(),
          ticket_id: ZBigId.optional(),
          cursor: pgText().max(200).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
      },
    },
    async (req) => {
      await auth.requireRole(req, "admin");
      const q = req.query;
      const where: SQL[] = [];
      if (q.status) where.push(eq(notificationDeliveries.status, q.status));
      if (q.channel) where.push(eq(notificationDeliveries.channel, q.channel));
      if (q.event_id) where.push(eq(notificationDeliveries.eventId, q.event_id));
      if (q.ticket_id) where.push(eq(notificationDeliveries.ticketId, q.ticket_id));
      if (q.cursor)
        where.push(lt(notificationDeliveries.id, decodeCursor(q.cursor, isNotificationCursor).id));
      const rows = await db
        .select({ d: notificationDeliveries, email: users.email })
        .from(notificationDeliveries)
        .innerJoin(users, eq(users.id, notificationDeliveries.userId))
        .where(where.length > 0 ? and(...where) : undefined)
        .orderBy(desc(notificationDeliveries.id))
        .limit(q.limit + 1);
      const page = rows.slice(0, q.limit);
      return {
        results: page.map(({ d, email }) => ({
          id: d.id,
          event_id: d.eventId,
          ticket_id: d.ticketId,
          user_id: d.userId,
          user_email: email,
          channel: d.channel,
          kind: d.kind,
          status: d.status,
          attempts: d.attempts,
          last_error: d.lastError,
          created_at: d.createdAt.toISOString(),
          updated_at: d.updatedAt.toISOString(),
          sent_at: d.sentAt?.toISOString() ?? null,
        })),
        next: rows.length > q.limit ? encodeCursor({ id: page.at(-1)!.d.id }) : null,
      };
    },
  );
}
