import { randomUUID } from "node:crypto";
import {
  CLOSE_CODES,
  isTicketEvent,
  REALTIME_LIMITS,
  type TAccessChangedEvent,
  type TChat,
  type TClientMessage,
  type TNotificationCreatedEvent,
  type TRealtimeErrorCode,
  type TServerMessage,
  type TTicketEvent,
  type TViewer,
  ZClientMessage,
} from "@helpdesk/contracts";
import type { Logger } from "pino";
import type { RawData, WebSocket } from "ws";
import { z } from "zod";
import type { EventBus, TEphemeralEvent } from "../../platform/bus.js";
import type { Db } from "../../platform/db/index.js";
import { AppError } from "../../platform/errors.js";
import type { Processor } from "../../platform/processors.js";
import type { TActor } from "../auth/auth.actor.js";
import { findActorsByIds } from "../auth/auth.repository.js";
import { canViewChat } from "../inbox/inbox.policies.js";
import {
  CHAT_EVENT_TYPES,
  findChatsOfTicket,
  findMissedChatEvents,
  lockChat,
  type TMissedChatEvent,
  type TTicketChat,
} from "../inbox/inbox.repository.js";
import {
  CHAT_CHANGED_SIGNAL,
  findChat,
  findChatMessagePage,
  findChats,
  markChatRead,
  presentChatForReaders,
} from "../inbox/inbox.usecases.js";
import { canSeeInternalNotes, canViewTicket, type TTicketAccess } from "../tickets/tickets.policies.js";
import {
  chatFrameJson,
  chatFrameKey,
  loadChatFrames,
  mayReceiveChatFrame,
  planChatFrames,
  type TChatEventInput,
  type TLoadedChatFrame,
} from "./realtime.chats.js";
import { realtimeConnections, realtimeFanOutDuration, realtimeMessagesSent } from "./realtime.metrics.js";
import {
  findLastEventId,
  findLiveApiTokenIds,
  findLiveSessionIds,
  findMissedEvents,
  findTicketAccess,
  type TMissedEvent,
} from "./realtime.repository.js";

const RECENT_IDS_MAX = 4096;

/**
 * A frame derived from a ticket event, ready to send: the event id (order, resync), its dedupe
 * key on the socket (the event id for `event` frames, a chat message for `new_message`, none
 * for idempotent chat states) and its JSON, encoded once for all sockets where it can be.
 */
type TOutgoing = { id: number | null; key: number | string | null; json: string | Buffer };

type TConnection = {
  id: number;
  socket: WebSocket;
  actor: TActor;
  /** Subscribed to `tickets`: every ticket the user may see. */
  allTickets: boolean;
  /** Subscribed `ticket:<id>` topics. */
  tickets: Set<number>;
  /** Subscribed to `chats`: the user's inbox (new_message, chat_updated, chat_removed). */
  chats: boolean;
  /** Tickets this socket has open (presence). */
  viewing: Set<number>;
  /** While a catch-up query runs, live events wait here so the order stays by id. */
  catchUp: { pending: TOutgoing[]; sent: Set<number | string>; overflow: boolean } | null;
  /**
   * Event ids sent lately. An event committed before a catch-up query can be published on the
   * bus after it, so the same id may come twice: once replayed, once live.
   */
  recent: Set<number | string>;
  /** Messages of one socket are handled one after another. */
  queue: Promise<void>;
  tokens: number;
  refilledAt: number;
  strikes: number;
  isAlive: boolean;
  typingAt: Map<number, number>;
};

export type RealtimeHub = {
  /** Takes over an authenticated socket: sends hello, then serves the protocol. */
  accept(socket: WebSocket, actor: TActor): void;
  /** Re-reads connected users (all, or these) — deactivation, departments, revoked sessions and tokens — and applies it. */
  refreshActors(userIds?: number[]): Promise<void>;
  /** Registered with ctx.processors: the events this instance's sockets may receive. */
  processor: Processor;
  stats(): { connections: number; instanceId: string; recentFanOutMs: number[] };
  close(): Promise<void>;
};

const ZPresenceSignal = z.object({
  instance: z.string().min(1).max(100),
  ticket_id: z.number().int().positive(),
  viewers: z.array(z.object({ id: z.number().int(), name: z.string() })).max(1000),
});
const ZChatReadSignal = z.object({
  instance: z.string().min(1).max(100),
  connection: z.number().int(),
  user_id: z.number().int().positive(),
  chat_id: z.number().int().positive(),
});
const ZChatChangedSignal = z.object({
  chat_id: z.number().int().positive(),
  previous_assignee_id: z.number().int().positive().nullable(),
});
const CHAT_EVENT_TYPE_SET = new Set<string>(CHAT_EVENT_TYPES);
const ZTypingSignal = z.object({
  ticket_id: z.number().int().positive(),
  user: z.object({ id: z.number().int(), name: z.string() }),
  is_internal: z.boolean(),
});

const ACCESS_CACHE_MAX = 10_000;
const jsonBuffer = (message: TServerMessage) => Buffer.from(JSON.stringify(message));
/** Presence and typing checks may use access facts this old; events always re-read them. */
const ACCESS_MAX_AGE_MS = 5000;

/**
 * The WebSocket hub of one instance. Ticket events come from the bus (any instance's, through
 * Redis when configured); for each event the ticket's access facts are read once and every
 * socket is then decided in memory with the same policies as the HTTP API. Presence and
 * typing travel as ephemeral bus signals: each instance announces its own viewers of a ticket
 * and merges what the others announce.
 */
export function createRealtimeHub(deps: {
  db: Db;
  bus: EventBus;
  logger: Pick<Logger, "warn" | "error" | "debug">;
  heartbeatMs?: number;
  actorRefreshMs?: number;
  /** Chats per `initial_chats` frame (REALTIME_LIMITS.initialChatsChunk). */
  initialChatsChunk?: number;
}): RealtimeHub {
  const { db, bus, logger } = deps;
  const heartbeatMs = deps.heartbeatMs ?? 30_000;
  const initialChatsChunk = deps.initialChatsChunk ?? REALTIME_LIMITS.initialChatsChunk;
  const instanceId = randomUUID();
  const connections = new Map<number, TConnection>();
  let nextConnectionId = 1;

  // ---- ticket access facts -------------------------------------------------------------
  const accessCache = new Map<number, { access: TTicketAccess | null; at: number }>();
  const accessInflight = new Map<number, Promise<TTicketAccess | null>>();

  const remember = (ticketId: number, access: TTicketAccess | null) => {
    accessCache.delete(ticketId);
    accessCache.set(ticketId, { access, at: Date.now() });
    if (accessCache.size > ACCESS_CACHE_MAX) {
      const oldest = accessCache.keys().next().value;
      if (oldest !== undefined) accessCache.delete(oldest);
    }
  };
  const loadAccess = async (ticketId: number) => {
    const access = await findTicketAccess(db, ticketId);
    remember(ticketId, access);
    return access;
  };
  const accessFor = (ticketId: number): Promise<TTicketAccess | null> => {
    const cached = accessCache.get(ticketId);
    if (cached && Date.now() - cached.at <= ACCESS_MAX_AGE_MS) return Promise.resolve(cached.access);
    let p = accessInflight.get(ticketId);
    if (!p) {
      p = loadAccess(ticketId).finally(() => accessInflight.delete(ticketId));
      accessInflight.set(ticketId, p);
    }
    return p;
  };

  const mayReceive = (
    actor: TActor,
    access: TTicketAccess | null | undefined,
    previous: TTicketAccess | null,
    isInternal: boolean,
  ) => {
    if (isInternal && !canSeeInternalNotes(actor)) return false;
    // A ticket we cannot read (deleted, or the query failed): only admins, who see everything.
    if (!access) return actor.role === "admin";
    return canViewTicket(actor, access) || (previous !== null && canViewTicket(actor, previous));
  };

  /**
   * Who could see the ticket just before this event: the executor it was taken from and the
   * old queue's staff learn that it left them.
   */
  const accessBefore = (e: TTicketEvent, access: TTicketAccess | null | undefined): TTicketAccess | null => {
    if (!access) return null;
    const data = e.data;
    if ((e.type === "assigned" || e.type === "unassigned") && typeof data.from === "number") {
      return { ...access, assigneeId: data.from };
    }
    const fromQueue = (data.changes as { queue_id?: { from?: unknown } } | undefined)?.queue_id?.from;
    if (e.type === "updated" && typeof fromQueue === "number") return { ...access, queueId: fromQueue };
    return null;
  };

  // ---- sending -------------------------------------------------------------------------
  const sendRaw = (conn: TConnection, json: string | Buffer) => {
    const socket = conn.socket;
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > REALTIME_LIMITS.bufferedMaxBytes) {
      // A client that does not read would make us buffer without bound; it reconnects with `since`.
      socket.close(CLOSE_CODES.tryAgainLater, "too slow");
      return;
    }
    // A Buffer is sent as is (one UTF-8 encoding per event, not one per socket); still a text frame.
    socket.send(json, { binary: false });
  };
  const send = (conn: TConnection, message: TServerMessage) => sendRaw(conn, JSON.stringify(message));
  const sendError = (conn: TConnection, code: TRealtimeErrorCode, message: string) =>
    send(conn, { type: "error", code, message });

  /** Sends an event once per socket: keys already sent lately are skipped. */
  const sendEvent = (conn: TConnection, out: TOutgoing) => {
    if (out.key !== null) {
      if (conn.recent.has(out.key)) return;
      conn.recent.add(out.key);
      if (conn.recent.size > RECENT_IDS_MAX) {
        // Sets iterate in insertion order: drop the oldest half.
        let drop = conn.recent.size / 2;
        for (const id of conn.recent) {
          if (drop-- <= 0) break;
          conn.recent.delete(id);
        }
      }
    }
    sendRaw(conn, out.json);
  };

  const deliverEvent = (conn: TConnection, out: TOutgoing) => {
    if (conn.catchUp) {
      if (conn.catchUp.pending.length >= REALTIME_LIMITS.pendingMax) conn.catchUp.overflow = true;
      else conn.catchUp.pending.push(out);
      return;
    }
    sendEvent(conn, out);
  };

  const missedToOutgoing = (row: TMissedEvent): TOutgoing => ({
    id: row.id,
    key: row.id,
    json: JSON.stringify({
      type: "event",
      id: row.id,
      ticket_id: row.ticket_id,
      event_type: row.type,
      actor_id: row.actor_id,
      data: { ...(row.data ?? {}), is_internal: row.is_internal },
      at: new Date(row.created_at).toISOString(),
    } satisfies TServerMessage),
  });

  // ---- ticket events from the bus ------------------------------------------------------
  let batch: TTicketEvent[] = [];
  const recentFanOutMs: number[] = [];
  let fanOutChain: Promise<void> = Promise.resolve();

  const fanOut = (e: TTicketEvent, access: TTicketAccess | null | undefined) => {
    const ticketId = e.ticketId;
    const data = e.data;
    const isInternal = data.is_internal === true;
    const out: TOutgoing = {
      id: e.eventId,
      key: e.eventId,
      json: jsonBuffer({
        type: "event",
        id: e.eventId,
        ticket_id: ticketId,
        event_type: e.type,
        actor_id: e.actorId,
        data,
        at: e.at,
      } satisfies TServerMessage),
    };
    const previous = accessBefore(e, access);
    let sent = 0;
    for (const conn of connections.values()) {
      if (!conn.allTickets && !conn.tickets.has(ticketId)) continue;
      if (!mayReceive(conn.actor, access, previous, isInternal)) continue;
      deliverEvent(conn, out);
      sent += 1;
    }
    realtimeMessagesSent.inc(sent);
  };

  // ---- inbox frames (topic `chats`), derived from ticket events (realtime.chats.ts) -----
  type TChatBatch = { frames: TLoadedChatFrame[]; access: Map<number, TTicketChat> };

  /**
   * What a batch of ticket events means for chats: the chats of their tickets (one read per
   * ticket, the chat as it is now), the frames, the messages and, once per chat, the chat as
   * each reader subscribed to `chats` who may see it sees it.
   */
  const loadChatBatch = async (events: TTicketEvent[]): Promise<TChatBatch | null> => {
    try {
      const relevant = events.filter(
        (e) => e.eventId !== null && CHAT_EVENT_TYPE_SET.has(e.type) && e.data.is_internal !== true,
      );
      if (relevant.length === 0) return null;
      const chatsByTicket = new Map<number, TTicketChat[]>();
      for (const e of relevant) {
        if (!chatsByTicket.has(e.ticketId))
          chatsByTicket.set(e.ticketId, await findChatsOfTicket(db, e.ticketId));
      }
      const access = new Map<number, TTicketChat>();
      const inputs: TChatEventInput[] = [];
      for (const e of relevant) {
        for (const chat of chatsByTicket.get(e.ticketId) ?? []) {
          access.set(chat.id, chat);
          inputs.push({
            eventId: e.eventId as number,
            ticketId: e.ticketId,
            type: e.type,
            data: e.data,
            chatId: chat.id,
            chatTicketId: chat.ticketId,
          });
        }
      }
      if (inputs.length === 0) return null;
      const frames = await loadChatFrames(db, planChatFrames(inputs), (chatId) => {
        const facts = access.get(chatId);
        if (!facts) return [];
        return [...connections.values()]
          .filter((c) => c.chats && canViewChat(c.actor, facts))
          .map((c) => c.actor);
      });
      return { frames, access };
    } catch (error) {
      logger.error({ err: error }, "realtime: deriving chat frames failed");
      return null;
    }
  };

  /** Each chat frame to the sockets subscribed to `chats` whose user may see the chat now. */
  const fanOutChats = (batch: TChatBatch) => {
    let sent = 0;
    for (const frame of batch.frames) {
      const facts = batch.access.get(frame.chatId);
      if (!facts) continue;
      const key = chatFrameKey(frame);
      for (const conn of connections.values()) {
        if (!conn.chats || !mayReceiveChatFrame(conn.actor, frame, facts)) continue;
        const json = chatFrameJson(conn.actor, frame);
        if (json === null) continue;
        deliverEvent(conn, { id: frame.eventId, key, json });
        sent += 1;
      }
    }
    realtimeMessagesSent.inc(sent);
  };

  /** The `chats` catch-up of one socket: the frames of its missed ticket events, derived the same way. */
  const chatCatchUp = async (conn: TConnection, rows: TMissedChatEvent[]): Promise<TOutgoing[]> => {
    const plan = planChatFrames(
      rows.map((r) => ({
        eventId: r.id,
        ticketId: r.ticketId,
        type: r.type,
        data: r.data,
        chatId: r.chatId,
        chatTicketId: r.chatTicketId,
      })),
    ).filter((p) => p.kind !== "removed"); // the query returns only chats the user sees now
    const frames = await loadChatFrames(db, plan, () => [conn.actor]);
    return frames.flatMap((f) => {
      const json = chatFrameJson(conn.actor, f);
      return json === null ? [] : [{ id: f.eventId, key: chatFrameKey(f), json }];
    });
  };

  /** The user's chats in `initial_chats` frames of at most `initialChatsChunk`, newest activity first. */
  const sendInitialChats = async (conn: TConnection) => {
    let cursor: string | undefined;
    for (;;) {
      const page = await findChats(db, conn.actor, { limit: initialChatsChunk, cursor });
      send(conn, { type: "initial_chats", chats: page.results, done: page.next === null });
      if (page.next === null || conn.socket.readyState !== conn.socket.OPEN) return;
      cursor = page.next;
    }
  };

  /**
   * Events published in one go (one request's outbox) are handled together: one access read
   * per ticket, reads started at once, sends kept in arrival order across batches.
   */
  const flushBatch = () => {
    const events = batch;
    batch = [];
    const receivedAt = performance.now();
    const loads = new Map<number, Promise<TTicketAccess | null | undefined>>();
    for (const e of events) {
      const ticketId = e.ticketId;
      if (loads.has(ticketId)) continue;
      const load =
        e.type === "deleted"
          ? Promise.resolve(accessCache.get(ticketId)?.access)
          : loadAccess(ticketId).catch((error: unknown) => {
              logger.error({ err: error, ticketId }, "realtime: reading ticket access failed");
              return undefined;
            });
      loads.set(ticketId, load);
    }
    const chatWork = [...connections.values()].some((c) => c.chats) ? loadChatBatch(events) : null;
    fanOutChain = fanOutChain
      .then(async () => {
        const accesses = new Map<number, TTicketAccess | null | undefined>();
        for (const [ticketId, load] of loads) accesses.set(ticketId, await load);
        for (const e of events) fanOut(e, accesses.get(e.ticketId));
        const chatBatch = chatWork ? await chatWork : null;
        if (chatBatch) fanOutChats(chatBatch);
        const ms = performance.now() - receivedAt;
        realtimeFanOutDuration.observe(ms / 1000);
        recentFanOutMs.push(ms);
        if (recentFanOutMs.length > 10_000) recentFanOutMs.splice(0, 5000);
      })
      .catch((error: unknown) => logger.error({ err: error }, "realtime: fan-out failed"));
  };

  /**
   * An in-app notification goes to its user's sockets only while that user may still see the
   * ticket (and, for a note, notes): it was decided at fan-out, and is checked again here
   * against the ticket's current queue and the user's current rights.
   */
  const deliverNotification = (e: TNotificationCreatedEvent) => {
    const userId = e.userId;
    const targets = [...connections.values()].filter((c) => c.actor.id === userId);
    if (targets.length === 0) return;
    const notification = e.notification;
    const ticketId = e.ticketId;
    const isInternal = notification.kind === "new_note";
    const access = ticketId === null ? Promise.resolve(null) : accessFor(ticketId).catch(() => undefined);
    fanOutChain = fanOutChain
      .then(async () => {
        const facts = await access;
        const json = JSON.stringify({ type: "notification", notification });
        for (const conn of targets) {
          if (!connections.has(conn.id)) continue;
          if (ticketId !== null && !mayReceive(conn.actor, facts, null, isInternal)) continue;
          sendRaw(conn, json);
        }
      })
      .catch((error: unknown) => logger.error({ err: error }, "realtime: notification delivery failed"));
  };

  /** Every event, on every instance: each holds its own sockets. */
  const processor: Processor = {
    name: "realtime",
    events: "*",
    delivery: "every_instance",
    handle(e) {
      if (connections.size === 0) return;
      if (e.type === "access_changed") {
        onAccessChanged(e);
        return;
      }
      if (!isTicketEvent(e)) {
        if (batch.length > 0) flushBatch();
        if (e.type === "notification_created") deliverNotification(e);
        return;
      }
      batch.push(e);
      if (batch.length === 1) queueMicrotask(flushBatch);
    },
  };

  /**
   * A user's rights changed (deactivated, new role or departments, signed out, token replaced):
   * their sockets are re-checked before any later event is sent, so nothing published after the
   * change reaches a socket that has lost the right to it, and a dead session's socket closes now.
   */
  const onAccessChanged = (e: TAccessChangedEvent) => {
    if (batch.length > 0) flushBatch();
    const userId = e.userId ?? undefined;
    if (userId !== undefined && ![...connections.values()].some((c) => c.actor.id === userId)) return;
    fanOutChain = fanOutChain
      .then(() => refreshActors(userId === undefined ? undefined : [userId]))
      .catch((error: unknown) => logger.error({ err: error }, "realtime: re-checking users failed"));
  };

  // ---- presence and typing -------------------------------------------------------------
  /** This instance's viewers: ticket → connection → viewer. */
  const localViewers = new Map<number, Map<number, TViewer>>();
  /** Every instance's viewers as announced on the bus (this one's included). */
  const announcedViewers = new Map<number, Map<string, { viewers: TViewer[]; at: number }>>();

  const uniqueViewers = (list: Iterable<TViewer>): TViewer[] => {
    const byId = new Map<number, TViewer>();
    for (const v of list) byId.set(v.id, v);
    return [...byId.values()].sort((a, b) => a.id - b.id);
  };
  const announcePresence = (ticketId: number) => {
    const viewers = uniqueViewers(localViewers.get(ticketId)?.values() ?? []);
    bus.publishEphemeral({ type: "presence", data: { instance: instanceId, ticket_id: ticketId, viewers } });
  };
  const isInterested = (conn: TConnection, ticketId: number) =>
    conn.viewing.has(ticketId) || conn.tickets.has(ticketId);

  const broadcastPresence = async (ticketId: number) => {
    const interested = [...connections.values()].filter((c) => isInterested(c, ticketId));
    if (interested.length === 0) return;
    const access = await accessFor(ticketId).catch(() => null);
    const viewers = uniqueViewers(
      [...(announcedViewers.get(ticketId)?.values() ?? [])].flatMap((entry) => entry.viewers),
    );
    const json = jsonBuffer({ type: "presence", ticket_id: ticketId, viewers } satisfies TServerMessage);
    for (const conn of interested) if (mayReceive(conn.actor, access, null, false)) sendRaw(conn, json);
  };

  const onPresenceSignal = (data: unknown) => {
    const parsed = ZPresenceSignal.safeParse(data);
    if (!parsed.success) return;
    const { instance, ticket_id: ticketId, viewers } = parsed.data;
    let byInstance = announcedViewers.get(ticketId);
    if (viewers.length === 0) {
      byInstance?.delete(instance);
      if (byInstance?.size === 0) announcedViewers.delete(ticketId);
    } else {
      if (!byInstance) {
        byInstance = new Map();
        announcedViewers.set(ticketId, byInstance);
      }
      byInstance.set(instance, { viewers, at: Date.now() });
    }
    void broadcastPresence(ticketId);
  };

  const onTypingSignal = async (data: unknown) => {
    const parsed = ZTypingSignal.safeParse(data);
    if (!parsed.success) return;
    const { ticket_id: ticketId, user, is_internal: isInternal } = parsed.data;
    const interested = [...connections.values()].filter(
      (c) => c.actor.id !== user.id && isInterested(c, ticketId),
    );
    if (interested.length === 0) return;
    const access = await accessFor(ticketId).catch(() => null);
    const json = JSON.stringify({
      type: "typing",
      ticket_id: ticketId,
      user,
      is_internal: isInternal,
    } satisfies TServerMessage);
    for (const conn of interested) if (mayReceive(conn.actor, access, null, isInternal)) sendRaw(conn, json);
  };

  /** The user read a chat on some socket (any instance): their other sockets subscribed to `chats` learn it. */
  const onChatReadSignal = async (data: unknown) => {
    const parsed = ZChatReadSignal.safeParse(data);
    if (!parsed.success) return;
    const { instance, connection, user_id: userId, chat_id: chatId } = parsed.data;
    const targets = [...connections.values()].filter(
      (c) => c.chats && c.actor.id === userId && !(instance === instanceId && c.id === connection),
    );
    const first = targets[0];
    if (!first) return;
    try {
      // The same user on every target: read (and checked, 404 if no longer visible) once.
      const chat = await findChat(db, first.actor, chatId);
      const json = JSON.stringify({ type: "chat_updated", id: null, chat } satisfies TServerMessage);
      for (const conn of targets) sendRaw(conn, json);
    } catch (error) {
      if (!(error instanceof AppError)) logger.error({ err: error }, "realtime: chat read signal failed");
    }
  };

  /**
   * A chat changed hands without a ticket event (inbox `assignChat` on a closed ticket, or one
   * already the agent's): its readers get `chat_updated` (id null), the previous agent, if they
   * no longer see it, `chat_removed`.
   */
  const onChatChangedSignal = async (data: unknown) => {
    const parsed = ZChatChangedSignal.safeParse(data);
    if (!parsed.success) return;
    const { chat_id: chatId, previous_assignee_id: previousId } = parsed.data;
    const targets = [...connections.values()].filter((c) => c.chats);
    if (targets.length === 0) return;
    try {
      const facts = await lockChat(db, { chatId }, undefined, false);
      if (!facts) return;
      const readers = targets.filter((c) => canViewChat(c.actor, facts));
      const byUser =
        readers.length === 0
          ? new Map()
          : await presentChatForReaders(
              db,
              chatId,
              readers.map((c) => c.actor),
            );
      const removed = JSON.stringify({
        type: "chat_removed",
        id: null,
        chat_id: chatId,
      } satisfies TServerMessage);
      for (const conn of targets) {
        const chat = byUser.get(conn.actor.id);
        if (chat) send(conn, { type: "chat_updated", id: null, chat });
        else if (conn.actor.id === previousId && !canViewChat(conn.actor, facts)) sendRaw(conn, removed);
      }
    } catch (error) {
      logger.error({ err: error }, "realtime: chat change signal failed");
    }
  };

  const unsubscribeEphemeral = bus.subscribeEphemeral((e: TEphemeralEvent) => {
    if (e.type === "presence") onPresenceSignal(e.data);
    else if (e.type === "typing") void onTypingSignal(e.data);
    else if (e.type === "chat_read") void onChatReadSignal(e.data);
    else if (e.type === CHAT_CHANGED_SIGNAL) void onChatChangedSignal(e.data);
  });

  const stopViewing = (conn: TConnection, ticketId: number) => {
    if (!conn.viewing.delete(ticketId)) return;
    const viewers = localViewers.get(ticketId);
    viewers?.delete(conn.id);
    if (viewers?.size === 0) localViewers.delete(ticketId);
    announcePresence(ticketId);
  };

  // ---- client messages -----------------------------------------------------------------
  const parseTopics = (topics: string[]) => {
    let all = false;
    let chats = false;
    const ids: number[] = [];
    for (const t of topics) {
      if (t === "tickets") all = true;
      else if (t === "chats") chats = true;
      else ids.push(Number(t.slice("ticket:".length)));
    }
    return { all, chats, ids };
  };

  const subscribe = async (conn: TConnection, topics: string[], since: number | undefined) => {
    const { all, chats, ids } = parseTopics(topics);
    const newIds = ids.filter((id) => !conn.tickets.has(id));
    if (conn.tickets.size + newIds.length > REALTIME_LIMITS.ticketTopicsMax) {
      sendError(conn, "realtime.too_many_topics", `At most ${REALTIME_LIMITS.ticketTopicsMax} ticket topics`);
      return;
    }
    if (since === undefined && !chats) {
      if (all) conn.allTickets = true;
      for (const id of ids) conn.tickets.add(id);
      send(conn, { type: "subscribed", topics, caught_up_to: null });
      return;
    }
    // Live events from now on are held until the list and the missed ones are out, so the
    // order is by id and nothing falls between the chat list and the live frames.
    const catchUp = { pending: [] as TOutgoing[], sent: new Set<number | string>(), overflow: false };
    conn.catchUp = catchUp;
    if (all) conn.allTickets = true;
    if (chats) conn.chats = true;
    for (const id of ids) conn.tickets.add(id);
    let caughtUpTo = since ?? 0;
    let lastEventId: number | null = null;
    try {
      if (chats) await sendInitialChats(conn);
      if (since !== undefined) {
        const missed: TOutgoing[] = [];
        let tooMany = false;
        if (all || ids.length > 0) {
          const rows = await findMissedEvents(db, conn.actor, {
            since,
            ticketIds: all ? null : ids,
            limit: REALTIME_LIMITS.catchUpMax + 1,
          });
          if (rows.length > REALTIME_LIMITS.catchUpMax) tooMany = true;
          else missed.push(...rows.map(missedToOutgoing));
        }
        if (chats && !tooMany) {
          const rows = await findMissedChatEvents(db, conn.actor, {
            since,
            limit: REALTIME_LIMITS.catchUpMax + 1,
          });
          if (rows.length > REALTIME_LIMITS.catchUpMax) tooMany = true;
          else missed.push(...(await chatCatchUp(conn, rows)));
        }
        if (tooMany) {
          // Too much to replay: the client refetches its lists and continues from here.
          lastEventId = await findLastEventId(db);
        } else {
          // Ticket events and chat frames in one id order (a stable sort keeps each event's own frames in order).
          missed.sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
          for (const out of missed) {
            sendEvent(conn, out);
            if (out.key !== null) catchUp.sent.add(out.key);
            if (out.id !== null && out.id > caughtUpTo) caughtUpTo = out.id;
          }
        }
      }
    } finally {
      // Whatever happened, held live events go out (minus the ones the catch-up already sent).
      conn.catchUp = null;
      if (lastEventId !== null || catchUp.overflow) {
        lastEventId ??= caughtUpTo;
        send(conn, { type: "resync", last_event_id: lastEventId });
      }
      for (const out of catchUp.pending) {
        if (out.key !== null && catchUp.sent.has(out.key)) continue;
        if (out.id !== null && lastEventId !== null && out.id <= lastEventId) continue;
        sendEvent(conn, out);
        if (out.id !== null && out.id > caughtUpTo) caughtUpTo = out.id;
      }
    }
    send(conn, {
      type: "subscribed",
      topics,
      caught_up_to:
        since === undefined ? null : lastEventId !== null ? Math.max(lastEventId, caughtUpTo) : caughtUpTo,
    });
  };

  const unsubscribe = (conn: TConnection, topics: string[]) => {
    const { all, chats, ids } = parseTopics(topics);
    if (all) conn.allTickets = false;
    if (chats) conn.chats = false;
    for (const id of ids) conn.tickets.delete(id);
  };

  const view = async (conn: TConnection, ticketId: number) => {
    if (conn.viewing.has(ticketId)) return;
    if (conn.viewing.size >= REALTIME_LIMITS.viewingMax) {
      sendError(
        conn,
        "realtime.too_many_views",
        `At most ${REALTIME_LIMITS.viewingMax} tickets viewed at once`,
      );
      return;
    }
    const access = await accessFor(ticketId);
    if (!access || !canViewTicket(conn.actor, access)) {
      sendError(conn, "realtime.ticket_not_found", "No such ticket");
      return;
    }
    if (conn.socket.readyState !== conn.socket.OPEN) return;
    conn.viewing.add(ticketId);
    let viewers = localViewers.get(ticketId);
    if (!viewers) {
      viewers = new Map();
      localViewers.set(ticketId, viewers);
    }
    viewers.set(conn.id, { id: conn.actor.id, name: conn.actor.name });
    announcePresence(ticketId);
  };

  const typing = async (conn: TConnection, ticketId: number, isInternal: boolean) => {
    if (isInternal && !canSeeInternalNotes(conn.actor)) {
      sendError(conn, "realtime.forbidden", "Only staff write internal notes");
      return;
    }
    const now = Date.now();
    if (now - (conn.typingAt.get(ticketId) ?? 0) < REALTIME_LIMITS.typingIntervalMs) return;
    const access = await accessFor(ticketId);
    if (!access || !canViewTicket(conn.actor, access)) {
      sendError(conn, "realtime.ticket_not_found", "No such ticket");
      return;
    }
    conn.typingAt.set(ticketId, now);
    if (conn.typingAt.size > 100) conn.typingAt.clear();
    bus.publishEphemeral({
      type: "typing",
      data: {
        ticket_id: ticketId,
        user: { id: conn.actor.id, name: conn.actor.name },
        is_internal: isInternal,
      },
    });
  };

  /** The inbox use-cases' refusals as error frames; a chat the user may not see does not exist. */
  const sendInboxError = (conn: TConnection, error: unknown): void => {
    if (error instanceof AppError && error.code === "inbox.chat_not_found") {
      sendError(conn, "realtime.chat_not_found", "No such chat");
      return;
    }
    if (error instanceof AppError && error.code === "inbox.message_not_in_chat") {
      sendError(conn, "realtime.message_not_in_chat", "That message is not a message of this chat");
      return;
    }
    throw error;
  };

  const getChatMessages = async (conn: TConnection, chatId: number, before?: number, limit?: number) => {
    try {
      const page = await findChatMessagePage(db, conn.actor, {
        chatId,
        beforeId: before,
        limit: limit ?? REALTIME_LIMITS.chatMessagesDefault,
      });
      send(conn, { type: "chat_messages", chat_id: chatId, messages: page.results, next: page.nextBeforeId });
    } catch (error) {
      sendInboxError(conn, error);
    }
  };

  /** Marks read through the inbox use-case; this socket gets the chat, the user's other sockets too. */
  const markAsRead = async (conn: TConnection, chatId: number, messageId?: number) => {
    let chat: TChat;
    try {
      await markChatRead(db, conn.actor, chatId, messageId);
      chat = await findChat(db, conn.actor, chatId);
    } catch (error) {
      sendInboxError(conn, error);
      return;
    }
    send(conn, { type: "chat_updated", id: null, chat });
    bus.publishEphemeral({
      type: "chat_read",
      data: { instance: instanceId, connection: conn.id, user_id: conn.actor.id, chat_id: chatId },
    });
  };

  const handle = async (conn: TConnection, message: TClientMessage) => {
    switch (message.type) {
      case "ping":
        send(conn, { type: "pong" });
        return;
      case "subscribe":
        return subscribe(conn, message.topics, message.since);
      case "unsubscribe":
        unsubscribe(conn, message.topics);
        return;
      case "view":
        return view(conn, message.ticket_id);
      case "unview":
        stopViewing(conn, message.ticket_id);
        return;
      case "typing":
        return typing(conn, message.ticket_id, message.is_internal ?? false);
      case "get_chat_messages":
        return getChatMessages(conn, message.chat_id, message.before, message.limit);
      case "mark_as_read":
        return markAsRead(conn, message.chat_id, message.message_id);
    }
  };

  const takeToken = (conn: TConnection) => {
    const now = Date.now();
    conn.tokens = Math.min(
      REALTIME_LIMITS.messageBurst,
      conn.tokens + ((now - conn.refilledAt) / 1000) * REALTIME_LIMITS.messagesPerSecond,
    );
    conn.refilledAt = now;
    if (conn.tokens < 1) return false;
    conn.tokens -= 1;
    return true;
  };

  const onMessage = (conn: TConnection, raw: RawData, isBinary: boolean) => {
    conn.isAlive = true;
    if (!takeToken(conn)) {
      conn.strikes += 1;
      if (conn.strikes > REALTIME_LIMITS.rateLimitStrikesMax) {
        conn.socket.close(CLOSE_CODES.policyViolation, "rate limit");
      } else if (conn.strikes === 1 || conn.strikes % 20 === 0) {
        sendError(conn, "realtime.rate_limited", "Too many messages; slow down");
      }
      return;
    }
    conn.strikes = 0;
    const size = Array.isArray(raw) ? raw.reduce((n, b) => n + b.length, 0) : raw.byteLength;
    if (size > REALTIME_LIMITS.messageMaxBytes) {
      sendError(
        conn,
        "realtime.message_too_large",
        `Messages are at most ${REALTIME_LIMITS.messageMaxBytes} bytes`,
      );
      return;
    }
    if (isBinary) {
      sendError(conn, "realtime.invalid_message", "Messages are JSON text");
      return;
    }
    let json: unknown;
    try {
      const text = Array.isArray(raw)
        ? Buffer.concat(raw).toString("utf8")
        : Buffer.from(raw as ArrayBuffer).toString("utf8");
      json = JSON.parse(text);
    } catch {
      sendError(conn, "realtime.invalid_json", "The message is not valid JSON");
      return;
    }
    const parsed = ZClientMessage.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
      sendError(conn, "realtime.invalid_message", `${where}${issue?.message ?? "invalid message"}`);
      return;
    }
    const message = parsed.data;
    conn.queue = conn.queue
      .then(() => handle(conn, message))
      .catch((error: unknown) => {
        logger.error({ err: error, type: message.type }, "realtime: handling a message failed");
        sendError(conn, "realtime.internal", "The server could not handle this message");
      });
  };

  const onClose = (conn: TConnection) => {
    if (!connections.delete(conn.id)) return;
    realtimeConnections.dec();
    for (const ticketId of [...conn.viewing]) stopViewing(conn, ticketId);
  };

  // ---- keep-alive, re-checks -----------------------------------------------------------
  const heartbeat = setInterval(() => {
    for (const conn of connections.values()) {
      if (!conn.isAlive) {
        conn.socket.terminate();
        onClose(conn);
        continue;
      }
      conn.isAlive = false;
      try {
        conn.socket.ping();
      } catch {
        // Closing already; the close event cleans up.
      }
    }
    // Announcements are refreshed each beat; those of a vanished instance expire.
    for (const ticketId of localViewers.keys()) announcePresence(ticketId);
    const expiredBefore = Date.now() - heartbeatMs * 2.5;
    for (const [ticketId, byInstance] of announcedViewers) {
      let changed = false;
      for (const [instance, entry] of byInstance) {
        if (instance !== instanceId && entry.at < expiredBefore) {
          byInstance.delete(instance);
          changed = true;
        }
      }
      if (byInstance.size === 0) announcedViewers.delete(ticketId);
      if (changed) void broadcastPresence(ticketId);
    }
  }, heartbeatMs);
  heartbeat.unref();

  const refreshActors = async (userIds?: number[]) => {
    const only = userIds ? new Set(userIds) : null;
    const conns = [...connections.values()].filter((c) => !only || only.has(c.actor.id));
    if (conns.length === 0) return;
    const states = new Map(
      (await findActorsByIds(db, [...new Set(conns.map((c) => c.actor.id))])).map((s) => [s.id, s]),
    );
    const sessionIds = [
      ...new Set(conns.map((c) => c.actor.sessionId).filter((s): s is string => s !== null)),
    ];
    const tokenIds = [
      ...new Set(conns.map((c) => c.actor.apiTokenId).filter((t): t is string => t !== null)),
    ];
    const [liveSessions, liveTokens] = await Promise.all([
      findLiveSessionIds(db, sessionIds),
      findLiveApiTokenIds(db, tokenIds),
    ]);
    for (const conn of conns) {
      const state = states.get(conn.actor.id);
      if (!state?.isActive) {
        conn.socket.close(CLOSE_CODES.forbidden, "user deactivated");
        onClose(conn);
      } else if (conn.actor.sessionId !== null && !liveSessions.has(conn.actor.sessionId)) {
        conn.socket.close(CLOSE_CODES.unauthenticated, "session ended");
        onClose(conn);
      } else if (conn.actor.apiTokenId !== null && !liveTokens.has(conn.actor.apiTokenId)) {
        conn.socket.close(CLOSE_CODES.unauthenticated, "token revoked");
        onClose(conn);
      } else {
        conn.actor = {
          ...conn.actor,
          role: state.role,
          name: state.name,
          queueIds: state.queueIds,
          departmentIds: state.departmentIds,
        };
      }
    }
  };
  const actorRefresh = setInterval(() => {
    refreshActors().catch((error: unknown) =>
      logger.error({ err: error }, "realtime: re-checking users failed"),
    );
  }, deps.actorRefreshMs ?? 60_000);
  actorRefresh.unref();

  return {
    accept(socket, actor) {
      const conn: TConnection = {
        id: nextConnectionId++,
        socket,
        actor,
        allTickets: false,
        tickets: new Set(),
        chats: false,
        viewing: new Set(),
        catchUp: null,
        recent: new Set(),
        queue: Promise.resolve(),
        tokens: REALTIME_LIMITS.messageBurst,
        refilledAt: Date.now(),
        strikes: 0,
        isAlive: true,
        typingAt: new Map(),
      };
      connections.set(conn.id, conn);
      realtimeConnections.inc();
      socket.on("message", (raw, isBinary) => onMessage(conn, raw, isBinary));
      socket.on("pong", () => {
        conn.isAlive = true;
      });
      socket.on("close", () => onClose(conn));
      socket.on("error", () => onClose(conn));
      // Hello goes first: messages that arrive meanwhile wait in the socket's queue.
      conn.queue = findLastEventId(db)
        .then((lastEventId) => send(conn, { type: "hello", user_id: actor.id, last_event_id: lastEventId }))
        .catch((error: unknown) => {
          logger.error({ err: error }, "realtime: hello failed");
          socket.close(CLOSE_CODES.tryAgainLater, "try again");
        });
    },
    refreshActors,
    processor,
    stats: () => ({ connections: connections.size, instanceId, recentFanOutMs: [...recentFanOutMs] }),
    async close() {
      clearInterval(heartbeat);
      clearInterval(actorRefresh);
      for (const conn of [...connections.values()]) {
        conn.socket.close(CLOSE_CODES.goingAway, "server shutting down");
        onClose(conn);
      }
      unsubscribeEphemeral();
      await fanOutChain;
    },
  };
}
