import type { AppContext } from "../../app-context.js";
import type { DbOrTx } from "../../platform/db/index.js";
import { type TEmit, withTx } from "../../platform/unit-of-work.js";
import { setTicketAssignee } from "../tickets/tickets.usecases.js";
import {
  findAgentCandidates,
  findWaitingChatIds,
  lockAssignments,
  lockWaitingChat,
  noteAgentAssigned,
  setChatAssignee,
  type TChatFacts,
} from "./inbox.repository.js";

/** The inbox's settings as assignment needs them (config `inbox`). */
export type TAssignmentSettings = { defaultMaxActiveChats: number; agentActiveMinutes: number };

/**
 * The one advisory lock every automatic assignment takes (transaction-scoped): counting the
 * agents' loads and giving one a chat happen while no other assignment does, so two chats
 * arriving at once never both take an agent's last slot. One lock rather than one per agent
 * or department: an agent may be in several departments, and assignments are short (the
 * first message of a ticket, a freed slot). On PGlite (one connection) it is taken at once.
 */
const ASSIGNMENT_LOCK_KEY = 0x1b0c_a551;

/** At most this many waiting chats are looked at per refill. */
const REFILL_BATCH = 50;

/**
 * Gives the chat to an agent (or nobody) and makes its open ticket theirs too, so the ticket
 * lists, notifications ("assigned to you") and the ticket's own rules follow the chat.
 */
export async function giveChat(
  tx: DbOrTx,
  emit: TEmit,
  chat: Pick<TChatFacts, "id" | "ticketId" | "assigneeId">,
  agent: { id: number; name: string } | null,
  actorId: number | null,
) {
  if (agent?.id !== chat.assigneeId) await setChatAssignee(tx, chat.id, agent?.id ?? null);
  if (!agent) return;
  await noteAgentAssigned(tx, agent.id);
  if (chat.ticketId !== null) await setTicketAssignee(tx, emit, actorId, chat.ticketId, agent);
}

/**
 * Picks the agent for a chat: an active executor of the department of the chat's queue who is
 * available (signed in, seen recently) and below their limit of chats with an open ticket;
 * the least loaded, and among equals the one given a chat longest ago (round robin). `prefer`
 * (the chat's previous agent) wins when they qualify. Null: nobody; a dispatcher decides.
 * Call under `lockAssignments` (see `assignChatAutomatically`).
 */
async function pickAgent(
  tx: DbOrTx,
  settings: TAssignmentSettings,
  chat: Pick<TChatFacts, "id" | "departmentId">,
  prefer: number | null,
) {
  if (chat.departmentId === null) return null;
  const candidates = await findAgentCandidates(tx, {
    departmentId: chat.departmentId,
    defaultMax: settings.defaultMaxActiveChats,
    excludeChatId: chat.id,
    availableWithinMinutes: settings.agentActiveMinutes,
  });
  const open = candidates.filter((c) => c.load < c.maxChats);
  return open.find((c) => c.id === prefer) ?? open[0] ?? null;
}

/**
 * Decides who works a chat that needs someone (new, a new ticket after the last was closed,
 * its agent gone), in the caller's transaction and under the assignment lock. Returns the agent
 * id or null.
 */
export async function assignChatAutomatically(
  tx: DbOrTx,
  emit: TEmit,
  settings: TAssignmentSettings,
  chat: TChatFacts,
  prefer: number | null,
): Promise<number | null> {
  await lockAssignments(tx, ASSIGNMENT_LOCK_KEY);
  const agent = await pickAgent(tx, settings, chat, prefer);
  await giveChat(tx, emit, chat, agent, null);
  return agent?.id ?? null;
}

/** Whether the user may work chats of this department (what a dispatcher may assign). */
export async function isEligibleAgent(
  tx: DbOrTx,
  settings: TAssignmentSettings,
  chat: Pick<TChatFacts, "id" | "departmentId">,
  userId: number,
): Promise<{ id: number; name: string } | null> {
  if (chat.departmentId === null) return null;
  const [agent] = await findAgentCandidates(tx, {
    departmentId: chat.departmentId,
    defaultMax: settings.defaultMaxActiveChats,
    excludeChatId: chat.id,
    userId,
  });
  return agent ?? null;
}

/**
 * Fills free slots: each chat with an open ticket and nobody on it, longest waiting first,
 * goes to an available agent below their limit, one transaction under the assignment lock.
 * Called when a chat's ticket closes (the `inbox` processor) and every minute (the
 * `inbox.fill-slots` job: agents who came online or got a higher limit). Returns how many
 * chats it gave out.
 */
export async function fillFreeSlots(ctx: Pick<AppContext, "db" | "bus" | "config">): Promise<number> {
  return withTx(ctx, async (tx, emit) => {
    await lockAssignments(tx, ASSIGNMENT_LOCK_KEY);
    let given = 0;
    for (const chatId of await findWaitingChatIds(tx, REFILL_BATCH)) {
      const chat = await lockWaitingChat(tx, chatId);
      if (!chat) continue;
      const agent = await pickAgent(tx, ctx.config.inbox, chat, null);
      if (!agent) continue;
      await giveChat(tx, emit, chat, agent, null);
      given += 1;
    }
    return given;
  });
}
