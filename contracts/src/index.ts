export * from "./channels.js";
export * from "./enums.js";
export * from "./events.js";
export * from "./limits.js";
export * from "./realtime.js";
export * from "./responses.js";
export * from "./schemas.js";
export * from "./ticket-responses.js";
