import { eq } from "drizzle-orm";
import { hashPassword } from "../../platform/crypto.js";
import type { Db } from "../../platform/db/index.js";
import { users } from "../../platform/db/schema/index.js";
import { assertStrongPassword } from "../auth/auth.usecases.js";
import { countActiveAdmins, findUserByEmail } from "./users.repository.js";

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
    await db
      .update(users)
      .set({ role: "admin", isActive: true, isGuest: false, passwordHash, updatedAt: new Date() })
      .where(eq(users.id, existing.id));
    return existing.id;
  }
  const [row] = await db
    .insert(users)
    .values({
      email: input.email.toLowerCase(),
      name: input.name ?? "Administrator",
      role: "admin",
      passwordHash,
    })
    .returning({ id: users.id });
  return row!.id;
}
