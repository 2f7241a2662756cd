export * from "./enums.js";
export * from "./limits.js";
export * from "./schemas.js";
