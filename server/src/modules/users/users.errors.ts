import { AppError } from "../../platform/errors.js";

export const createUserNotFoundError = () => new AppError("users.not_found", 404, "No such user");
export const createUnknownDepartmentsError = (ids: number[]) =>
  new AppError("users.unknown_departments", 400, "Some departments do not exist", { department_ids: ids });
export const createCannotDeactivateSelfError = () =>
  new AppError("users.cannot_deactivate_self", 400, "You cannot deactivate your own account");
export const createCannotDemoteSelfError = () =>
  new AppError("users.cannot_demote_self", 400, "You cannot take the admin role from your own account");
/** An admin adds or renames an employee to an address another account has (sign-up has `auth.email_taken`). */
export const createUserEmailTakenError = () =>
  new AppError("users.email_taken", 409, "A user with this e-mail already exists");
