import { eq, inArray, sql } from "drizzle-orm";
import webpush from "web-push";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { decryptSecret, encryptSecret } from "../../platform/crypto.js";
import { pushSubscriptions, settings } from "../../platform/db/schema/index.js";
import type { TNotifier } from "./notifications.notifier.js";
import { describeNotification } from "./notifications.texts.js";

const VAPID_KEY = "push.vapid";
const ZStoredVapid = z.object({ public_key: z.string(), private_key_enc: z.string(), subject: z.string() });

/**
 * The VAPID key pair: generated on first use and stored in settings, the private key sealed
 * with APP_SECRET. Concurrent first uses agree on one pair (insert-if-absent, then read).
 */
export async function getVapidKeys(
  ctx: Pick<AppContext, "db" | "config">,
): Promise<{ publicKey: string; privateKey: string; subject: string }> {
  const read = async () => {
    const [row] = await ctx.db.select().from(settings).where(eq(settings.key, VAPID_KEY));
    const parsed = ZStoredVapid.safeParse(row?.value);
    return parsed.success ? parsed.data : null;
  };
  let stored = await read();
  if (!stored) {
    const keys = webpush.generateVAPIDKeys();
    const subject = ctx.config.publicUrl.startsWith("https://")
      ? ctx.config.publicUrl
      : "mailto:helpdesk@localhost";
    await ctx.db
      .insert(settings)
      .values({
        key: VAPID_KEY,
        value: {
          public_key: keys.publicKey,
          private_key_enc: encryptSecret(ctx.config.appSecret, keys.privateKey),
          subject,
        },
      })
      .onConflictDoNothing();
    stored = await read();
    if (!stored) throw new Error("VAPID keys could not be stored");
  }
  return {
    publicKey: stored.public_key,
    privateKey: decryptSecret(ctx.config.appSecret, stored.private_key_enc),
    subject: stored.subject,
  };
}

export async function saveSubscription(
  ctx: Pick<AppContext, "db">,
  userId: number,
  sub: { endpoint: string; keys: { p256dh: string; auth: string } },
) {
  await ctx.db
    .insert(pushSubscriptions)
    .values({ userId, endpoint: sub.endpoint, p256dh: sub.keys.p256dh, auth: sub.keys.auth })
    .onConflictDoUpdate({
      target: pushSubscriptions.endpoint,
      set: { userId, p256dh: sub.keys.p256dh, auth: sub.keys.auth },
    });
}

export async function deleteSubscription(ctx: Pick<AppContext, "db">, userId: number, endpoint: string) {
  await ctx.db
    .delete(pushSubscriptions)
    .where(sql`${pushSubscriptions.endpoint} = ${endpoint} AND ${pushSubscriptions.userId} = ${userId}`);
}

/** Users among `userIds` that have at least one push subscription. */
export async function usersWithSubscriptions(
  ctx: Pick<AppContext, "db">,
  userIds: number[],
): Promise<Set<number>> {
  if (userIds.length === 0) return new Set();
  const rows = await ctx.db
    .selectDistinct({ userId: pushSubscriptions.userId })
    .from(pushSubscriptions)
    .where(inArray(pushSubscriptions.userId, userIds));
  return new Set(rows.map((r) => r.userId));
}

/**
 * Pushes a payload to every subscription of a user. A 404/410 from the push service means the
 * browser dropped the subscription: it is removed. Other failures throw (the job retries);
 * returns how many pushes were accepted.
 */
export async function pushToUser(
  ctx: Pick<AppContext, "db" | "config" | "logger">,
  userId: number,
  payload: object,
): Promise<number> {
  const subs = await ctx.db.select().from(pushSubscriptions).where(eq(pushSubscriptions.userId, userId));
  if (subs.length === 0) return 0;
  const vapid = await getVapidKeys(ctx);
  const body = JSON.stringify(payload);
  let accepted = 0;
  const failures: string[] = [];
  for (const sub of subs) {
    // web-push builds the encrypted request; we send it ourselves (fetch works for any URL).
    const details = webpush.generateRequestDetails(
      { endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } },
      body,
      {
        vapidDetails: { subject: vapid.subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
        TTL: 24 * 3600,
      },
    );
    try {
      const res = await fetch(details.endpoint, {
        method: details.method,
        headers: details.headers as Record<string, string>,
        body: details.body,
        signal: AbortSignal.timeout(15_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status === 404 || res.status === 410) {
        await ctx.db.delete(pushSubscriptions).where(eq(pushSubscriptions.id, sub.id));
        ctx.logger.info({ userId, status: res.status }, "push subscription gone; removed");
      } else if (res.ok) {
        accepted += 1;
        await ctx.db
          .update(pushSubscriptions)
          .set({ lastUsedAt: new Date() })
          .where(eq(pushSubscriptions.id, sub.id));
      } else {
        failures.push(`push service answered ${res.status}`);
      }
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (failures.length > 0 && accepted === 0) throw new Error(failures.join("; "));
  return accepted;
}

/** Notifications as browser pushes to every subscription of the recipient. */
export const webPushNotifier: TNotifier = {
  channel: "web_push",
  open(ctx) {
    return {
      async send({ event, recipient, language, link }) {
        const text = describeNotification(language, event.facts);
        const n = await pushToUser(ctx, recipient.id, {
          ...text,
          url: link,
          ticket_id: event.ticket.id,
          kind: event.kind,
        });
        return n > 0 ? "sent" : { skipped: "no push subscription" };
      },
      finish: async () => {},
    };
  },
};
