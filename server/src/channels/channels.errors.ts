import { createNotFoundError } from "../platform/errors.js";

export const createChannelAccountNotFoundError = () =>
  createNotFoundError("channels.account_not_found", "Channel account not found");
