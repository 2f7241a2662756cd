import { AppError } from "../../platform/errors.js";

export const createUserNotFoundError = () => new AppError("users.not_found", 404, "No such user");
export const createUnknownDepartmentsError = (ids: number[]) =>
  new AppError("users.unknown_departments", 400, "Some departments do not exist", { department_ids: ids });
export const createCannotDeactivateSelfError = () =>
  new AppError("users.cannot_deactivate_self", 400, "You cannot deactivate or demote your own account");
