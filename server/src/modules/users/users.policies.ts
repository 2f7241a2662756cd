import type { TUpdateUserRequest } from "@helpdesk/contracts";
import type { TActor } from "../auth/auth.actor.js";
import { isStaff } from "../auth/auth.actor.js";

type TWho = Pick<TActor, "id" | "role">;

/** Staff look people up (assignment, mentions, filters); requesters do not see the directory. */
export const canListUsers = (a: TWho): boolean => isStaff(a);
export const canViewUser = (a: TWho): boolean => isStaff(a);

/** Who may assign sees the executors and their load. */
export const canListExecutors = (a: TWho): boolean => a.role === "admin" || a.role === "operator";

/** Adding, editing, deactivating and reactivating employees. */
export const canManageUsers = (a: TWho): boolean => a.role === "admin";

/**
 * An admin must not lock themself out: no deactivating or demoting their own account (another
 * admin can). Other changes to oneself are fine.
 */
export const isSelfLockout = (
  a: TWho,
  userId: number,
  changes: Pick<TUpdateUserRequest, "is_active" | "role">,
): boolean =>
  userId === a.id &&
  (changes.is_active === false || (changes.role !== undefined && changes.role !== "admin"));
