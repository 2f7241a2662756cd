/**
 * The one error type the API returns. `code` is API contract (`tickets.not_found`);
 * clients branch on it, never on the message.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
    readonly details?: unknown,
    /** Internal errors are logged with their cause and shown to the client as a generic 500. */
    readonly isInternal = false,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const createValidationError = (details: unknown, message = "The request is not valid") =>
  new AppError("validation.invalid", 400, message, details);
export const createNotFoundError = (code = "common.not_found", message = "Not found") =>
  new AppError(code, 404, message);
export const createUnauthenticatedError = (message = "Authentication required") =>
  new AppError("auth.unauthenticated", 401, message);
export const createForbiddenError = (code = "auth.forbidden", message = "You are not allowed to do this") =>
  new AppError(code, 403, message);
export const createConflictError = (code: string, message: string) => new AppError(code, 409, message);

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
