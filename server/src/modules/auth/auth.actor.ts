import type { TLanguage, TRole } from "@helpdesk/contracts";

/** The authenticated person behind a request, with what the policies need to decide. */
export type TActor = {
  id: number;
  role: TRole;
  email: string | null;
  name: string;
  language: TLanguage;
  departmentIds: number[];
  /** Queues of the actor's departments: what an operator or executor works. */
  queueIds: number[];
  /** The login session (JWT or cookie); null for API tokens. */
  sessionId: string | null;
  /** The API token (`Authorization: Token`) the request came with; null for sessions. */
  apiTokenId: string | null;
};

export const isStaff = (actor: Pick<TActor, "role">): boolean => actor.role !== "requester";
