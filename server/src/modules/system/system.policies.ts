import type { TActor } from "../auth/auth.actor.js";

/** The status page (version, counts, queue depths, memory) is for administrators. */
export const canViewSystemStatus = (a: TActor): boolean => a.role === "admin";
