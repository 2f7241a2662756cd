import type { TActor } from "./auth.actor.js";

/** An actor for policy unit tests: a role, an id, and the queues it works in. */
export const testActor = (role: TActor["role"], id = 1, queueIds: number[] = []): TActor => ({
  id,
  role,
  email: `${role}-${id}@example.com`,
  name: `${role} ${id}`,
  language: "en",
  departmentIds: [],
  queueIds,
  sessionId: null,
  apiTokenId: null,
});
