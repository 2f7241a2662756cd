import { AppError } from "../../platform/errors.js";

/** Also the answer when the file exists but the reader may not see it: no hint that it exists. */
export const createAttachmentNotFoundError = () =>
  new AppError("attachments.not_found", 404, "No such attachment");
export const createNoFileError = () => new AppError("uploads.no_file", 400, "No file in the request");
