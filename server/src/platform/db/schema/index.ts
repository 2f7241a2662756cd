export * from "./catalog.js";
export * from "./tickets.js";
export * from "./users.js";
