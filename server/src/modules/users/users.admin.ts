import { hashPassword } from "../../platform/crypto.js";
import type { Db } from "../../platform/db/index.js";
import { assertStrongPassword } from "../auth/auth.usecases.js";
import { countActiveAdmins, findUserByEmail, insertUser, updateUserRow } from "./users.repository.js";

/**
 * Creates the first admin when there is no active admin yet (ADMIN_EMAIL + ADMIN_PASSWORD at
 * start). Returns whether it created one.
 */
export async function ensureFirstAdmin(db: Db, input: { email: string; password: string; name?: string }) {
  if ((await countActiveAdmins(db)) > 0) return false;
  await upsertAdmin(db, input);
  return true;
}

/** `helpdesk create-admin`: makes the account an active admin with this password, creating it if needed. */
export async function upsertAdmin(db: Db, input: { email: string; password: string; name?: string }) {
  assertStrongPassword(input.password, { email: input.email });
  const passwordHash = await hashPassword(input.password);
  const existing = await findUserByEmail(db, input.email);
  if (existing) {
    await updateUserRow(db, existing.id, {
      role: "admin",
      isActive: true,
      isGuest: false,
      passwordHash,
      updatedAt: new Date(),
    });
    return existing.id;
  }
  const row = await insertUser(db, {
    email: input.email.toLowerCase(),
    name: input.name ?? "Administrator",
    role: "admin",
    passwordHash,
  });
  return row.id;
}
