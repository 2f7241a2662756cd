import { AppError } from "../../platform/errors.js";

export const createTicketNotFoundError = () => new AppError("tickets.not_found", 404, "No such ticket");
export const createTransitionForbiddenError = (from: string, to: string) =>
  new AppError("tickets.transition_forbidden", 403, `You may not move this ticket from ${from} to ${to}`, {
    from,
    to,
  });
/** Each refusal has its own code, so a client can say what exactly is not allowed. */
export const createFileOnBehalfForbiddenError = () =>
  new AppError("tickets.file_on_behalf_forbidden", 403, "Only staff may file a ticket for someone else");
export const createEditForbiddenError = (fields: string[]) =>
  new AppError("tickets.edit_forbidden", 403, `You may not change ${fields.join(", ")} of this ticket`, {
    fields,
  });
export const createAssignForbiddenError = () =>
  new AppError("tickets.assign_forbidden", 403, "You may not assign this ticket to that person");
export const createExecuteForbiddenError = () =>
  new AppError("tickets.execute_forbidden", 403, "Only the assigned executor may complete this ticket");
export const createDeleteForbiddenError = () =>
  new AppError("tickets.delete_forbidden", 403, "Only an administrator may delete tickets");
export const createMessageEditForbiddenError = (kind: "messages" | "notes", verb: "edit" | "delete") =>
  new AppError(`${kind}.not_author`, 403, `Only the author or an admin may ${verb} this`);
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
