export * from "./catalog.js";
export * from "./channels.js";
export * from "./conversations.js";
export * from "./email.js";
export * from "./notifications.js";
export * from "./telegram.js";
export * from "./tickets.js";
export * from "./users.js";
