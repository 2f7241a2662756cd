import { AppError } from "../../platform/errors.js";

export type TCatalogKind = "queues" | "categories" | "priorities" | "departments";

export const CATALOG_SINGULAR: Record<TCatalogKind, string> = {
  queues: "queue",
  categories: "category",
  priorities: "priority",
  departments: "department",
};

export const createCatalogItemNotFoundError = (kind: TCatalogKind) =>
  new AppError(`${kind}.not_found`, 404, `No such ${CATALOG_SINGULAR[kind]}`);
export const createSlugTakenError = (kind: TCatalogKind) =>
  new AppError(`${kind}.slug_taken`, 409, `A ${CATALOG_SINGULAR[kind]} with this slug exists`);
/** A queue's `department_id` names no department (a 400 about the body; the code is API contract). */
export const createUnknownDepartmentError = (departmentId: number) =>
  new AppError("departments.not_found", 400, "No such department", { department_id: departmentId });
