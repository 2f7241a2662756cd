import type { TActor } from "../auth/auth.actor.js";

type TWho = Pick<TActor, "role">;

/** Everyone signed in reads queues, categories, priorities and departments (forms, filters). */
export const canReadCatalog = (_a: TWho): boolean => true;
/** Adding, editing and deactivating reference data. */
export const canManageCatalog = (a: TWho): boolean => a.role === "admin";
/** The organisation's settings (sign-up domain, auto-hide, language, name). */
export const canManageSettings = (a: TWho): boolean => a.role === "admin";
