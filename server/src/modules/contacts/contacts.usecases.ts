import type { TLanguage } from "@helpdesk/contracts";
import type { DbOrTx } from "../../platform/db/index.js";
import { createForbiddenError } from "../../platform/errors.js";
import { type TEmit, type TUnitOfWorkDeps, withTx } from "../../platform/unit-of-work.js";
import type { TActor } from "../auth/auth.actor.js";
import { accessChanged } from "../auth/auth.guard.js";
import {
  createAlreadyMergedError,
  createContactNotFoundError,
  createMergeIntoSelfError,
  createNotAContactError,
} from "./contacts.errors.js";
import { canManageContacts } from "./contacts.policies.js";
import {
  deleteOtherIdentities,
  findContactUser,
  findIdentityUserId,
  findUserByEmailAddress,
  insertContactUser,
  insertIdentity,
  lockIdentity,
  moveContactData,
  moveIdentity,
  retireMergedContact,
  type TContactUser,
} from "./contacts.repository.js";

/** Who wrote in, as a channel driver saw them. */
export type TInboundContact = {
  /** The driver's name: "email", "telegram", "widget", … */
  channel: string;
  /** Their id on that channel, normalised by the driver (e-mail: the address in lower case). */
  externalId: string;
  displayName?: string | null;
  language?: TLanguage | null;
};

const MERGE_DEPTH_MAX = 10;

/** A merged contact's messages go to the person it was merged into. */
async function followMerges(tx: DbOrTx, user: TContactUser): Promise<TContactUser> {
  let current = user;
  for (let i = 0; i < MERGE_DEPTH_MAX && current.mergedIntoId !== null; i++) {
    const next = await findContactUser(tx, current.mergedIntoId);
    if (!next) break;
    current = next;
  }
  return current;
}

/**
 * The person behind an inbound message: found by their channel identity (e-mail: the
 * account's address), or created as a guest requester. A contact reached only on Telegram or
 * the widget has no e-mail address. Concurrent first messages from one new person make one
 * contact. Returns the user id (who may be deactivated: the caller decides).
 */
export async function resolveContact(
  tx: DbOrTx,
  contact: TInboundContact,
  defaultLanguage: TLanguage,
): Promise<{ userId: number; created: boolean }> {
  const { channel, externalId } = contact;
  await lockIdentity(tx, channel, externalId);
  const name = (contact.displayName?.trim() || externalId.split("@")[0] || externalId).slice(0, 200);
  const language = contact.language ?? defaultLanguage;
  if (channel === "email") {
    // The e-mail identity is the account's own address (the one people sign in with).
    const found = await findUserByEmailAddress(tx, externalId);
    if (found) return { userId: (await followMerges(tx, found)).id, created: false };
    return { userId: await insertContactUser(tx, { email: externalId, name, language }), created: true };
  }
  const userId = await findIdentityUserId(tx, channel, externalId);
  if (userId !== undefined) {
    const user = await findContactUser(tx, userId);
    if (user) return { userId: (await followMerges(tx, user)).id, created: false };
  }
  const created = await insertContactUser(tx, { email: null, name, language });
  await insertIdentity(tx, {
    channel,
    externalId,
    userId: created,
    displayName: contact.displayName ?? null,
    language: contact.language ?? null,
  });
  return { userId: created, created: true };
}

/**
 * Staff merge two records of one person (say the Telegram contact into the e-mail requester):
 * the target keeps everything of both, history included; the source becomes an inactive
 * pointer to the target, so later messages on its channels reach the target.
 */
export async function mergeContacts(
  deps: TUnitOfWorkDeps,
  actor: TActor,
  input: { sourceId: number; targetId: number },
) {
  if (!canManageContacts(actor)) {
    throw createForbiddenError("contacts.forbidden", "Only operators and admins merge contacts");
  }
  if (input.sourceId === input.targetId) throw createMergeIntoSelfError();
  return withTx(deps, async (tx, emit) => {
    const [source, target] = await Promise.all([
      findContactUser(tx, input.sourceId),
      findContactUser(tx, input.targetId),
    ]);
    if (!source || !target) throw createContactNotFoundError();
    for (const u of [source, target]) if (u.role !== "requester") throw createNotAContactError(u.id);
    if (source.mergedIntoId !== null) throw createAlreadyMergedError(source.id);
    if (target.mergedIntoId !== null) throw createAlreadyMergedError(target.id);
    const moved = await moveContactData(tx, source.id, target.id);
    await retireMergedContact(tx, source, target);
    // The source's sockets close; the target's now see the moved requests.
    emit(accessChanged(source.id));
    emit(accessChanged(target.id));
    return { user_id: target.id, merged_id: source.id, moved };
  });
}

/**
 * Links a channel identity (a Telegram user who opened the profile's deep link) to a person's
 * account. A guest contact the channel made earlier (they wrote before they linked) is merged
 * into the account, so nothing of their history is lost; an identity held by a real account
 * moves (that account keeps its requests). The person keeps one identity on the channel.
 */
export async function linkIdentity(
  tx: DbOrTx,
  emit: TEmit,
  contact: TInboundContact,
  targetId: number,
): Promise<{ status: "linked" | "already_linked"; merged: number | null }> {
  const { channel, externalId } = contact;
  await lockIdentity(tx, channel, externalId);
  const holderId = await findIdentityUserId(tx, channel, externalId);
  let merged: number | null = null;
  if (holderId === targetId) return { status: "already_linked", merged };
  if (holderId === undefined) {
    await insertIdentity(tx, {
      channel,
      externalId,
      userId: targetId,
      displayName: contact.displayName ?? null,
      language: contact.language ?? null,
    });
  } else {
    const [holder, target] = await Promise.all([
      findContactUser(tx, holderId),
      findContactUser(tx, targetId),
    ]);
    if (holder && target && holder.isGuest && holder.role === "requester" && holder.mergedIntoId === null) {
      await moveContactData(tx, holder.id, target.id);
      await retireMergedContact(tx, holder, target);
      emit(accessChanged(holder.id));
      merged = holder.id;
    } else {
      await moveIdentity(tx, channel, externalId, targetId);
    }
  }
  await deleteOtherIdentities(tx, channel, targetId, externalId);
  emit(accessChanged(targetId));
  return { status: "linked", merged };
}
