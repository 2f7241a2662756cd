import { AppError } from "../../platform/errors.js";

/** Not visible is not found (like tickets): a chat's existence is not revealed. */
export const createChatNotFoundError = () => new AppError("inbox.chat_not_found", 404, "No such chat");
export const createAssignForbiddenError = () =>
  new AppError("inbox.assign_forbidden", 403, "Only dispatchers and admins assign chats");
export const createInvalidAssigneeError = (userId: number) =>
  new AppError(
    "inbox.invalid_assignee",
    422,
    "The assignee must be an active executor of the department of the chat's queue",
    { user_id: userId },
  );
export const createChatTicketClosedError = (ticketId: number | null) =>
  new AppError(
    "inbox.ticket_closed",
    409,
    "The chat's request is closed: reopen the ticket to answer, or wait for the contact's next message",
    { ticket_id: ticketId },
  );
export const createMessageNotInChatError = (messageId: number) =>
  new AppError("inbox.message_not_in_chat", 400, "That message is not a message of this chat", {
    message_id: messageId,
  });
