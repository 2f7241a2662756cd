import type { users } from "../../platform/db/schema/index.js";

export type TUserRow = typeof users.$inferSelect;

/** A user as the API shows it. Never includes the password hash. */
export function presentUser(user: TUserRow, departmentIds: number[]) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    language: user.language,
    theme: user.theme,
    is_active: user.isActive,
    is_guest: user.isGuest,
    department_ids: departmentIds,
    created_at: user.createdAt.toISOString(),
    last_login_at: user.lastLoginAt?.toISOString() ?? null,
  };
}

/** The short form used inside tickets and messages. */
export const presentUserRef = (user: { id: number; name: string; email: string } | null | undefined) =>
  user ? { id: user.id, name: user.name, email: user.email } : null;
