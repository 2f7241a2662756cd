import { and, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/index.js";
import { contactIdentities, users } from "../../platform/db/schema/index.js";

export type TContactUser = {
  id: number;
  role: string;
  email: string | null;
  isActive: boolean;
  /** Made from a channel message, never registered (no password): a record, not an account. */
  isGuest: boolean;
  mergedIntoId: number | null;
};

const CONTACT_COLUMNS = {
  id: users.id,
  role: users.role,
  email: users.email,
  isActive: users.isActive,
  isGuest: users.isGuest,
  mergedIntoId: users.mergedIntoId,
};

/** Serialises resolution of one identity: two messages from a new person make one contact. */
export async function lockIdentity(tx: DbOrTx, channel: string, externalId: string): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`contact:${channel}:${externalId}`}))`);
}

export async function findUserByEmailAddress(tx: DbOrTx, address: string): Promise<TContactUser | undefined> {
  const [row] = await tx
    .select(CONTACT_COLUMNS)
    .from(users)
    .where(sql`lower(${users.email}) = ${address.toLowerCase()}`);
  return row;
}

export async function findContactUser(tx: DbOrTx, id: number): Promise<TContactUser | undefined> {
  const [row] = await tx.select(CONTACT_COLUMNS).from(users).where(eq(users.id, id));
  return row;
}

export async function findIdentityUserId(
  tx: DbOrTx,
  channel: string,
  externalId: string,
): Promise<number | undefined> {
  const [row] = await tx
    .update(contactIdentities)
    .set({ lastSeenAt: new Date() })
    .where(and(eq(contactIdentities.channel, channel), eq(contactIdentities.externalId, externalId)))
    .returning({ userId: contactIdentities.userId });
  return row?.userId;
}

export async function insertContactUser(
  tx: DbOrTx,
  values: { email: string | null; name: string; language: "ru" | "en" },
): Promise<number> {
  const [row] = await tx
    .insert(users)
    .values({ ...values, role: "requester", isGuest: true })
    .returning({ id: users.id });
  return row!.id;
}

export async function insertIdentity(
  tx: DbOrTx,
  values: {
    channel: string;
    externalId: string;
    userId: number;
    displayName: string | null;
    language: "ru" | "en" | null;
  },
): Promise<void> {
  await tx.insert(contactIdentities).values(values);
}

export async function listIdentities(tx: DbOrTx, userId: number) {
  return tx
    .select({
      id: contactIdentities.id,
      channel: contactIdentities.channel,
      external_id: contactIdentities.externalId,
      display_name: contactIdentities.displayName,
      language: contactIdentities.language,
      created_at: contactIdentities.createdAt,
      last_seen_at: contactIdentities.lastSeenAt,
    })
    .from(contactIdentities)
    .where(eq(contactIdentities.userId, userId))
    .orderBy(contactIdentities.id);
}

/**
 * Moves everything of `sourceId` to `targetId`: requests, messages, files, history, watches,
 * notifications and channel identities. Returns counts of what moved.
 */
export async function moveContactData(tx: DbOrTx, sourceId: number, targetId: number) {
  const count = async (query: ReturnType<typeof sql>) => (await tx.execute(query)).rows.length;
  const tickets = await count(
    sql`UPDATE tickets SET requester_id = ${targetId}, updated_at = now() WHERE requester_id = ${sourceId} RETURNING id`,
  );
  const messages = await count(
    sql`UPDATE ticket_messages SET author_id = ${targetId} WHERE author_id = ${sourceId} RETURNING id`,
  );
  await tx.execute(sql`UPDATE attachments SET uploader_id = ${targetId} WHERE uploader_id = ${sourceId}`);
  await tx.execute(sql`UPDATE ticket_events SET actor_id = ${targetId} WHERE actor_id = ${sourceId}`);
  await tx.execute(sql`
    INSERT INTO ticket_watchers (ticket_id, user_id)
    SELECT ticket_id, ${targetId} FROM ticket_watchers WHERE user_id = ${sourceId}
    ON CONFLICT DO NOTHING`);
  await tx.execute(sql`DELETE FROM ticket_watchers WHERE user_id = ${sourceId}`);
  await tx.execute(sql`UPDATE notifications SET user_id = ${targetId} WHERE user_id = ${sourceId}`);
  await tx.execute(
    sql`UPDATE thread_bindings SET contact_user_id = ${targetId} WHERE contact_user_id = ${sourceId}`,
  );
  const identities = await count(
    sql`UPDATE contact_identities SET user_id = ${targetId} WHERE user_id = ${sourceId} RETURNING id`,
  );
  return { tickets, messages, identities };
}

/** The merged contact: inactive, pointing at the person it became, signed out everywhere. */
export async function retireMergedContact(tx: DbOrTx, source: TContactUser, target: TContactUser) {
  // The address moves with the person when the target has none (a Telegram contact who also mails).
  const moveEmail = source.email !== null && target.email === null;
  await tx
    .update(users)
    .set({
      isActive: false,
      mergedIntoId: target.id,
      deactivatedAt: new Date(),
      updatedAt: new Date(),
      ...(moveEmail ? { email: null } : {}),
    })
    .where(eq(users.id, source.id));
  if (moveEmail) {
    await tx.update(users).set({ email: source.email, updatedAt: new Date() }).where(eq(users.id, target.id));
  }
  await tx.execute(
    sql`UPDATE sessions SET revoked_at = now() WHERE user_id = ${source.id} AND revoked_at IS NULL`,
  );
  await tx.execute(sql`DELETE FROM api_tokens WHERE user_id = ${source.id}`);
}

/** Points an identity at another person (it moves; the old holder keeps their history). */
export async function moveIdentity(tx: DbOrTx, channel: string, externalId: string, userId: number) {
  await tx
    .update(contactIdentities)
    .set({ userId, lastSeenAt: new Date() })
    .where(and(eq(contactIdentities.channel, channel), eq(contactIdentities.externalId, externalId)));
}

/** Drops a person's other identities on a channel (one linked Telegram per person). */
export async function deleteOtherIdentities(tx: DbOrTx, channel: string, userId: number, keep: string) {
  await tx
    .delete(contactIdentities)
    .where(
      and(
        eq(contactIdentities.channel, channel),
        eq(contactIdentities.userId, userId),
        sql`${contactIdentities.externalId} <> ${keep}`,
      ),
    );
}
