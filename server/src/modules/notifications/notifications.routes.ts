import {
  DELIVERY_STATUSES,
  NOTIFICATION_CHANNELS,
  pgText,
  ZBigId,
  ZDeliveryPage,
  ZNoContent,
  ZNotification,
  ZNotificationPage,
  ZNotificationPreferences,
  ZOk,
  ZReadAllResponse,
  ZVapidPublicKey,
  ZWatching,
} from "@helpdesk/contracts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { decodeCursor, encodeCursor, isIdCursor } from "../../platform/http.js";
import { canViewDeliveryLog } from "./notifications.policies.js";
import { deleteSubscription, getVapidKeys, saveSubscription } from "./notifications.push.js";
import {
  getPreferences,
  listDeliveries,
  listNotifications,
  markAllRead,
  markRead,
  replacePreferences,
  unwatchTicket,
  watchTicket,
} from "./notifications.usecases.js";

const isNotificationCursor = isIdCursor(Number.MAX_SAFE_INTEGER);
const ZIdParams = z.strictObject({ id: ZBigId });
const ZPushSubscription = z.strictObject({
  endpoint: pgText().max(2000).pipe(z.url()),
  keys: z.strictObject({ p256dh: pgText().min(10).max(200), auth: pgText().min(4).max(100) }),
  expirationTime: z.number().nullable().optional(),
});
const tags = ["notifications"];

export async function registerNotificationRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { db, auth } = ctx;

  app.get(
    "/api/notifications",
    {
      schema: {
        tags,
        summary: "My notifications, newest first",
        querystring: z.strictObject({
          unread: z.enum(["true", "false"]).optional(),
          cursor: pgText().max(200).optional(),
          limit: z.coerce.number().int().min(1).max(100).default(30),
        }),
        response: { 200: ZNotificationPage },
      },
    },
    async (req) => {
      const actor = await auth.require(req);
      const q = req.query;
      const page = await listNotifications(db, actor, {
        unreadOnly: q.unread === "true",
        beforeId: q.cursor ? decodeCursor(q.cursor, isNotificationCursor).id : undefined,
        limit: q.limit,
      });
      return {
        results: page.results,
        next: page.lastId === null ? null : encodeCursor({ id: page.lastId }),
        unread_count: page.unread_count,
      };
    },
  );

  app.post(
    "/api/notifications/:id/read",
    {
      schema: {
        tags,
        summary: "Mark one notification read",
        params: ZIdParams,
        response: { 200: ZNotification },
      },
    },
    async (req) => markRead(db, await auth.require(req), req.params.id),
  );

  app.post(
    "/api/notifications/read-all",
    { schema: { tags, summary: "Mark all my notifications read", response: { 200: ZReadAllResponse } } },
    async (req) => markAllRead(db, await auth.require(req)),
  );

  app.get(
    "/api/notifications/preferences",
    {
      schema: {
        tags,
        summary: "My notification preferences (per event × channel)",
        response: { 200: ZNotificationPreferences },
      },
    },
    async (req) => getPreferences(db, await auth.require(req)),
  );

  app.put(
    "/api/notifications/preferences",
    {
      schema: {
        tags,
        summary: "Replace my notification preferences",
        body: ZNotificationPreferences,
        response: { 200: ZNotificationPreferences },
      },
    },
    async (req) => replacePreferences(db, await auth.require(req), req.body),
  );

  app.get(
    "/api/push/vapid-public-key",
    {
      schema: {
        tags,
        summary: "The VAPID public key for PushManager.subscribe",
        response: { 200: ZVapidPublicKey },
      },
    },
    async (req) => {
      await auth.require(req);
      return { public_key: (await getVapidKeys(ctx)).publicKey };
    },
  );

  app.post(
    "/api/push/subscriptions",
    {
      schema: {
        tags,
        summary: "Register this browser for web push",
        body: ZPushSubscription,
        response: { 201: ZOk },
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
        tags,
        summary: "Unregister a browser from web push",
        body: z.strictObject({ endpoint: pgText().max(2000) }),
        response: { 204: ZNoContent },
      },
    },
    async (req, reply) => {
      const actor = await auth.require(req);
      await deleteSubscription(ctx, actor.id, req.body.endpoint);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/api/tickets/:id/watch",
    {
      schema: {
        tags,
        summary: "Follow a ticket (get its notifications)",
        params: ZIdParams,
        response: { 200: ZWatching },
      },
    },
    async (req) => watchTicket(db, await auth.require(req), req.params.id),
  );
  app.delete(
    "/api/tickets/:id/watch",
    { schema: { tags, summary: "Stop following a ticket", params: ZIdParams, response: { 200: ZWatching } } },
    async (req) => unwatchTicket(db, await auth.require(req), req.params.id),
  );

  app.get(
    "/api/admin/notifications/deliveries",
    {
      schema: {
        tags,
        summary: "Delivery log (admin)",
        querystring: z.strictObject({
          status: z.enum(DELIVERY_STATUSES).optional(),
          channel: z.enum(NOTIFICATION_CHANNELS).optional(),
          event_id: ZBigId.optional(),
          ticket_id: ZBigId.optional(),
          cursor: pgText().max(200).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
        response: { 200: ZDeliveryPage },
      },
    },
    async (req) => {
      await auth.requireAbility(req, canViewDeliveryLog);
      const q = req.query;
      const page = await listDeliveries(db, {
        status: q.status,
        channel: q.channel,
        eventId: q.event_id,
        ticketId: q.ticket_id,
        beforeId: q.cursor ? decodeCursor(q.cursor, isNotificationCursor).id : undefined,
        limit: q.limit,
      });
      return { results: page.results, next: page.lastId === null ? null : encodeCursor({ id: page.lastId }) };
    },
  );
}
