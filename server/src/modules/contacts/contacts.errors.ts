import { AppError } from "../../platform/errors.js";

export const createContactNotFoundError = () => new AppError("contacts.not_found", 404, "No such contact");
export const createNotAContactError = (id: number) =>
  new AppError("contacts.not_a_contact", 400, "Only requesters can be merged; staff accounts cannot", { id });
export const createMergeIntoSelfError = () =>
  new AppError("contacts.merge_into_self", 400, "A contact cannot be merged into itself");
export const createAlreadyMergedError = (id: number) =>
  new AppError("contacts.already_merged", 409, "This contact was already merged into another", { id });
