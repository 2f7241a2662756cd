import type { TActor } from "../auth/auth.actor.js";

/** Operators and admins see how requesters are reached and merge duplicates. */
export const canManageContacts = (a: TActor): boolean => a.role === "operator" || a.role === "admin";
