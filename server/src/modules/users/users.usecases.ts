import type { TCreateUserRequest, TExecutor, TUpdateUserRequest, TUser } from "@helpdesk/contracts";
import { hashPassword } from "../../platform/crypto.js";
import type { Db, DbOrTx } from "../../platform/db/index.js";
import type { TActor } from "../auth/auth.actor.js";
import { assertStrongPassword, revokeAllSessions, revokeApiTokens } from "../auth/auth.usecases.js";
import {
  createCannotDeactivateSelfError,
  createCannotDemoteSelfError,
  createUnknownDepartmentsError,
  createUserEmailTakenError,
  createUserNotFoundError,
} from "./users.errors.js";
import { isSelfLockout } from "./users.policies.js";
import { presentUser } from "./users.presenter.js";
import {
  findDepartmentIds,
  findExecutorsWithLoad,
  findMissingDepartments,
  findUserByEmail,
  findUserById,
  findUsers,
  insertUser,
  replaceUserDepartments,
  type TUserListFilter,
  updateUserRow,
} from "./users.repository.js";

/** One user as the API shows it, with departments; `users.not_found` when there is none. */
export async function getUser(db: DbOrTx, userId: number): Promise<TUser> {
  const user = await findUserById(db, userId);
  if (!user) throw createUserNotFoundError();
  return presentUser(user, (await findDepartmentIds(db, [userId])).get(userId) ?? []);
}

/** A page of users (keyset by id) and the id to continue after, if there are more. */
export async function listUsers(
  db: DbOrTx,
  filter: Omit<TUserListFilter, "limit">,
  limit: number,
): Promise<{ results: TUser[]; lastId: number | null }> {
  const rows = await findUsers(db, { ...filter, limit: limit + 1 });
  const page = rows.slice(0, limit);
  const deps = await findDepartmentIds(
    db,
    page.map((u) => u.id),
  );
  const last = page.at(-1);
  return {
    results: page.map((u) => presentUser(u, deps.get(u.id) ?? [])),
    lastId: rows.length > limit && last ? last.id : null,
  };
}

/** Active executors with their open-ticket load and departments, by name. */
export async function listExecutors(db: DbOrTx): Promise<TExecutor[]> {
  const rows = await findExecutorsWithLoad(db);
  const deps = await findDepartmentIds(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({ ...r, department_ids: deps.get(r.id) ?? [] }));
}

/** An admin adds an employee (any role) with departments. */
export async function createUser(db: Db, input: TCreateUserRequest) {
  assertStrongPassword(input.password, input);
  const missing = await findMissingDepartments(db, input.department_ids);
  if (missing.length > 0) throw createUnknownDepartmentsError(missing);
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const existing = await findUserByEmail(tx, input.email);
    if (existing && !existing.isGuest) throw createUserEmailTakenError();
    const values = {
      email: input.email,
      name: input.name,
      passwordHash,
      role: input.role,
      language: input.language ?? "ru",
      isGuest: false,
      updatedAt: new Date(),
    };
    // A guest (someone who only wrote in by mail) becomes the employee, keeping their history.
    const user = existing ? (await updateUserRow(tx, existing.id, values))! : await insertUser(tx, values);
    await replaceUserDepartments(tx, user.id, input.department_ids);
    return user;
  });
}

/** An admin edits a user. Deactivating ends every session at once; history stays. */
export async function updateUser(db: Db, actor: TActor, userId: number, input: TUpdateUserRequest) {
  if (isSelfLockout(actor, userId, input)) {
    throw input.is_active === false ? createCannotDeactivateSelfError() : createCannotDemoteSelfError();
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
      if (other && other.id !== userId) throw createUserEmailTakenError();
    }
    const row = await updateUserRow(tx, userId, { ...changes, updatedAt: new Date() });
    if (!row) throw createUserNotFoundError();
    if (input.department_ids) await replaceUserDepartments(tx, userId, input.department_ids);
    if (input.is_active === false || passwordHash) await revokeAllSessions(tx, userId);
    // Deactivation ends API tokens for good: reactivating the account must not revive them.
    if (input.is_active === false) await revokeApiTokens(tx, userId);
    return row;
  });
  return user;
}
