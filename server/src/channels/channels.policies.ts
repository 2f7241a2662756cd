import type { TActor } from "../modules/auth/auth.actor.js";

/** Channel accounts of every kind (list, start, stop): admins only. */
export const canManageChannels = (a: Pick<TActor, "role">): boolean => a.role === "admin";
