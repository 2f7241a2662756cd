export * from "./enums.js";
export * from "./limits.js";
export * from "./responses.js";
export * from "./schemas.js";
