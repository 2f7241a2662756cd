import { AppError } from "../../platform/errors.js";

export const createTicketNotFoundError = () => new AppError("tickets.not_found", 404, "No such ticket");
export const createTransitionForbiddenError = (from: string, to: string) =>
  new AppError("tickets.transition_forbidden", 403, `You may not move this ticket from ${from} to ${to}`, {
    from,
    to,
  });
export const createInvalidExecutorError = () =>
  new AppError("tickets.invalid_executor", 400, "The assignee must be an active executor");
export const createAlreadyClosedError = () =>
  new AppError("tickets.already_closed", 409, "The ticket is already closed");
export const createUnknownReferenceError = (field: string, id: number) =>
  new AppError("tickets.unknown_reference", 400, `No active ${field} with id ${id}`, { field, id });
export const createMessageNotFoundError = () => new AppError("messages.not_found", 404, "No such message");
export const createNoteNotFoundError = () => new AppError("notes.not_found", 404, "No such note");
export const createInvalidAttachmentsError = (ids: string[]) =>
  new AppError(
    "attachments.invalid",
    400,
    "Some attachments do not exist, are not yours or are already used",
    {
      attachment_ids: ids,
    },
  );
