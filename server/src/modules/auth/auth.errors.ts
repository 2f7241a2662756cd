import { AppError } from "../../platform/errors.js";

export const createInvalidCredentialsError = () =>
  new AppError("auth.invalid_credentials", 401, "The e-mail or password is wrong");
export const createDomainNotAllowedError = (domain: string) =>
  new AppError("auth.domain_not_allowed", 403, `Registration is open only to addresses at ${domain}`, {
    domain,
  });
export const createEmailTakenError = () =>
  new AppError("auth.email_taken", 409, "An account with this e-mail already exists");
/** A signed-in user's current password is wrong (changing it): not a sign-in failure. */
export const createWrongPasswordError = () =>
  new AppError("auth.wrong_password", 401, "The current password is wrong");
export const createWeakPasswordError = (reasons: string[]) =>
  new AppError("auth.weak_password", 400, "The password is too weak", { reasons });
export const createTooManyAttemptsError = (retryAfterSeconds: number) =>
  new AppError("auth.too_many_attempts", 429, "Too many failed sign-in attempts; try again later", {
    retry_after_seconds: retryAfterSeconds,
  });
export const createInvalidTokenError = () =>
  new AppError("auth.invalid_token", 401, "The token is invalid or expired");
export const createAccountDisabledError = () =>
  new AppError("auth.account_disabled", 403, "This account is deactivated");
export const createCsrfError = () =>
  new AppError("auth.csrf", 403, "Cross-site request refused: the Origin does not match this site");
