import { AppError, createNotFoundError } from "../../platform/errors.js";

export const createMailboxNotFoundError = () =>
  createNotFoundError("email.mailbox_not_found", "Mailbox not found");
export const createEnvMailboxError = () =>
  new AppError(
    "email.mailbox_from_env",
    409,
    "This mailbox comes from IMAP_URL; change the environment instead",
  );
/** The chosen queue does not exist. */
export const createUnknownQueueError = () => new AppError("email.unknown_queue", 400, "Unknown queue");
/** No queue was chosen and the default e-mail queue is gone: the admin has to choose one. */
export const createQueueRequiredError = () =>
  new AppError("email.queue_required", 400, "The default e-mail queue does not exist: choose a queue");
/** The mail server refused this address for good (5xx to RCPT TO): the admin's input, not an outage. */
export const createRecipientRefusedError = (reason: string) =>
  new AppError("email.recipient_refused", 400, `The mail server refused the address: ${reason}`);
export const createSendFailedError = (reason: string) =>
  new AppError("email.send_failed", 502, `The mail server refused: ${reason}`);
/** The SMTP sender is stopped in Admin → Channels: start it to send. */
export const createSmtpStoppedError = () =>
  new AppError("email.smtp_stopped", 409, "The SMTP sender is stopped; start it in Admin → Channels");
