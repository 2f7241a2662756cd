import type { TCreateUserRequest, TUpdateUserRequest } from "@helpdesk/contracts";
import { eq } from "drizzle-orm";
import { hashPassword } from "../../platform/crypto.js";
import type { Db } from "../../platform/db/index.js";
import { users } from "../../platform/db/schema/index.js";
import type { TActor } from "../auth/auth.actor.js";
import { createEmailTakenError } from "../auth/auth.errors.js";
import { assertStrongPassword, revokeAllSessions, revokeApiTokens } from "../auth/auth.usecases.js";
import {
  createCannotDeactivateSelfError,
  createUnknownDepartmentsError,
  createUserNotFoundError,
} from "./users.errors.js";
import {
  findMissingDepartments,
  findUserByEmail,
  findUserById,
  replaceUserDepartments,
} from "./users.repository.js";

/** An admin adds an employee (any role) with departments. */
export async function createUser(db: Db, input: TCreateUserRequest) {
  assertStrongPassword(input.password, input);
  const missing = await findMissingDepartments(db, input.department_ids);
  if (missing.length > 0) throw createUnknownDepartmentsError(missing);
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const existing = await findUserByEmail(tx, input.email);
    if (existing && !existing.isGuest) throw createEmailTakenError();
    const values = {
      email: input.email,
      name: input.name,
      passwordHash,
      role: input.role,
      language: input.language ?? "ru",
      isGuest: false,
      updatedAt: new Date(),
    };
    const [user] = existing
      ? await tx.update(users).set(values).where(eq(users.id, existing.id)).returning()
      : await tx.insert(users).values(values).returning();
    await replaceUserDepartments(tx, user!.id, input.department_ids);
    return user!;
  });
}

/** An admin edits a user. Deactivating ends every session at once; history stays. */
export async function updateUser(db: Db, actor: TActor, userId: number, input: TUpdateUserRequest) {
  if (userId === actor.id && (input.is_active === false || (input.role && input.role !== "admin"))) {
    throw createCannotDeactivateSelfError();
  }
  if (input.department_ids) {
    const missing = await findMissingDepartments(db, input.department_ids);
    if (missing.length > 0) throw createUnknownDepartmentsError(missing);
  }
  if (input.password) assertStrongPassword(input.password, { email: input.email });
  const passwordHash = input.password ? await hashPassword(input.password) : undefined;
  const changes = {
    name: input.name,
    email: input.email,
    role: input.role,
    language: input.language,
    isActive: input.is_active,
    deactivatedAt: input.is_active === false ? new Date() : input.is_active === true ? null : undefined,
    passwordHash,
  };
  // An empty PATCH changes nothing and writes nothing.
  if (Object.values(changes).every((v) => v === undefined) && input.department_ids === undefined) {
    const user = await findUserById(db, userId);
    if (!user) throw createUserNotFoundError();
    return user;
  }
  const user = await db.transaction(async (tx) => {
    if (input.email) {
      const other = await findUserByEmail(tx, input.email);
      if (other && other.id !== userId) throw createEmailTakenError();
    }
    const [row] = await tx
      .update(users)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(users.id, userId))
      .returning();
    if (!row) throw createUserNotFoundError();
    if (input.department_ids) await replaceUserDepartments(tx, userId, input.department_ids);
    if (input.is_active === false || passwordHash) await revokeAllSessions(tx, userId);
    // Deactivation ends API tokens for good: reactivating the account must not revive them.
    if (input.is_active === false) await revokeApiTokens(tx, userId);
    return row;
  });
  return user;
}
