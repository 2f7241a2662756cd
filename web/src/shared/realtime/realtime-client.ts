import type { TClientMessage, TRealtimeTicketEvent, TServerMessage, TViewer } from "@helpdesk/contracts";

/**
 * The browser side of the `/ws` protocol (see docs/realtime.md): one socket per tab that
 * reconnects with exponential backoff and jitter, re-subscribes with `since` = the last event
 * id it saw (so missed events are replayed), re-announces the tickets being viewed, and drops
 * events it already delivered (by id).
 */

export type RealtimeViewer = TViewer;
export type RealtimeTicketEvent = TRealtimeTicketEvent;
export type RealtimeServerMessage = TServerMessage;
export type RealtimeClientMessage = TClientMessage;

export type RealtimeStatus = "idle" | "connecting" | "open" | "closed";

type MessageOf<T extends RealtimeServerMessage["type"]> = Extract<RealtimeServerMessage, { type: T }>;
type Listener<T extends RealtimeServerMessage["type"]> = (message: MessageOf<T>) => void;

export type RealtimeClientOptions = {
  /** Default: `/ws` on this page's host (the session cookie authenticates). */
  url?: string;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** App-level ping interval; the socket is recycled when nothing arrives for 2.5× this. */
  keepAliveMs?: number;
  /** For tests: another WebSocket implementation. */
  WebSocketImpl?: typeof WebSocket;
};

/** Close codes after which reconnecting would not help (signed out, deactivated). */
const FINAL_CLOSE_CODES = new Set([4401, 4403]);
const SEEN_IDS_MAX = 5000;

export class RealtimeClient {
  private socket: WebSocket | null = null;
  private readonly listeners = new Map<string, Set<(m: RealtimeServerMessage) => void>>();
  private readonly statusListeners = new Set<(s: RealtimeStatus) => void>();
  private readonly topics = new Set<string>();
  private readonly viewing = new Map<number, number>();
  private readonly seen = new Set<number>();
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private keepAliveTimer: ReturnType<typeof setInterval> | null = null;
  private lastMessageAt = 0;
  private wanted = false;
  private readonly options: Required<Omit<RealtimeClientOptions, "url" | "WebSocketImpl">> &
    Pick<RealtimeClientOptions, "url" | "WebSocketImpl">;

  /** The newest event id delivered (or announced by hello/resync): the `since` of the next subscribe. */
  lastEventId: number | null = null;
  /** The signed-in user, from the server's hello. */
  userId: number | null = null;
  status: RealtimeStatus = "idle";

  constructor(options: RealtimeClientOptions = {}) {
    this.options = {
      initialDelayMs: 500,
      maxDelayMs: 30_000,
      keepAliveMs: 25_000,
      ...options,
    };
  }

  /** Opens the socket (and keeps it open) until close(). */
  connect(): void {
    this.wanted = true;
    if (this.socket || this.reconnectTimer) return;
    this.open();
  }

  close(): void {
    this.wanted = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopKeepAlive();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000);
    this.setStatus("closed");
  }

  /** Reconnects now (e.g. the browser came back online) instead of waiting for the backoff. */
  reconnectNow(): void {
    if (!this.wanted || this.status === "open") return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.attempt = 0;
    if (!this.socket) this.open();
  }

  subscribe(topics: string[]): void {
    const fresh = topics.filter((t) => !this.topics.has(t));
    for (const t of fresh) this.topics.add(t);
    if (fresh.length > 0) this.sendSubscribe(fresh);
  }

  unsubscribe(topics: string[]): void {
    const gone = topics.filter((t) => this.topics.delete(t));
    if (gone.length > 0) this.send({ type: "unsubscribe", topics: gone });
  }

  /** Announces that this tab shows a ticket (reference-counted across components). */
  view(ticketId: number): void {
    const n = this.viewing.get(ticketId) ?? 0;
    this.viewing.set(ticketId, n + 1);
    if (n === 0) this.send({ type: "view", ticket_id: ticketId });
  }

  unview(ticketId: number): void {
    const n = this.viewing.get(ticketId) ?? 0;
    if (n <= 1) {
      this.viewing.delete(ticketId);
      if (n === 1) this.send({ type: "unview", ticket_id: ticketId });
    } else {
      this.viewing.set(ticketId, n - 1);
    }
  }

  typing(ticketId: number, isInternal = false): void {
    this.send({ type: "typing", ticket_id: ticketId, is_internal: isInternal });
  }

  /** Listens to one message type; returns the function that stops listening. */
  on<T extends RealtimeServerMessage["type"]>(type: T, listener: Listener<T>): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    const l = listener as (m: RealtimeServerMessage) => void;
    set.add(l);
    return () => {
      set.delete(l);
    };
  }

  onStatus(listener: (status: RealtimeStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => {
      this.statusListeners.delete(listener);
    };
  }

  // ---- internals -----------------------------------------------------------------------
  private url(): string {
    if (this.options.url) return this.options.url;
    const { protocol, host } = window.location;
    return `${protocol === "https:" ? "wss" : "ws"}://${host}/ws`;
  }

  private open(): void {
    const Impl = this.options.WebSocketImpl ?? WebSocket;
    this.setStatus("connecting");
    let socket: WebSocket;
    try {
      socket = new Impl(this.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onmessage = (e) => {
      if (socket !== this.socket) return;
      this.lastMessageAt = Date.now();
      let message: RealtimeServerMessage;
      try {
        message = JSON.parse(String(e.data)) as RealtimeServerMessage;
      } catch {
        return;
      }
      this.handle(message);
    };
    socket.onclose = (e) => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.stopKeepAlive();
      this.setStatus("closed");
      if (this.wanted && !FINAL_CLOSE_CODES.has(e.code)) this.scheduleReconnect();
    };
    // onerror is always followed by onclose, where reconnecting happens.
    socket.onerror = () => {};
  }

  private handle(message: RealtimeServerMessage): void {
    switch (message.type) {
      case "hello":
        this.attempt = 0;
        this.userId = message.user_id;
        // First connection: start from now. Later ones: replay from the last event delivered.
        this.lastEventId ??= message.last_event_id;
        this.setStatus("open");
        this.startKeepAlive();
        if (this.topics.size > 0) this.sendSubscribe([...this.topics]);
        for (const ticketId of this.viewing.keys()) this.send({ type: "view", ticket_id: ticketId });
        break;
      case "event":
        if (message.id !== null) {
          if (this.seen.has(message.id)) return;
          this.rememberSeen(message.id);
          if (this.lastEventId === null || message.id > this.lastEventId) this.lastEventId = message.id;
        }
        break;
      case "resync":
        this.lastEventId = message.last_event_id;
        break;
    }
    const set = this.listeners.get(message.type);
    if (set) for (const l of [...set]) l(message);
  }

  private rememberSeen(id: number): void {
    this.seen.add(id);
    if (this.seen.size > SEEN_IDS_MAX) {
      // Sets iterate in insertion order: drop the oldest half.
      let n = SEEN_IDS_MAX / 2;
      for (const old of this.seen) {
        if (n-- <= 0) break;
        this.seen.delete(old);
      }
    }
  }

  private sendSubscribe(topics: string[]): void {
    this.send({
      type: "subscribe",
      topics,
      ...(this.lastEventId !== null ? { since: this.lastEventId } : {}),
    });
  }

  private send(message: RealtimeClientMessage): void {
    // While closed, state (topics, viewing) is kept and sent again after the next hello.
    if (this.socket && this.status === "open") this.socket.send(JSON.stringify(message));
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer) return;
    const base = Math.min(this.options.maxDelayMs, this.options.initialDelayMs * 2 ** this.attempt);
    // Full jitter in the upper half: many tabs after a server restart do not come back at once.
    const delay = base / 2 + Math.random() * (base / 2);
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.wanted) this.open();
    }, delay);
  }

  private startKeepAlive(): void {
    this.stopKeepAlive();
    this.lastMessageAt = Date.now();
    this.keepAliveTimer = setInterval(() => {
      if (Date.now() - this.lastMessageAt > this.options.keepAliveMs * 2.5) {
        // Silent for too long: the connection is dead even if the browser has not noticed.
        const socket = this.socket;
        this.socket = null;
        socket?.close();
        this.stopKeepAlive();
        this.setStatus("closed");
        if (this.wanted) this.scheduleReconnect();
        return;
      }
      this.send({ type: "ping" });
    }, this.options.keepAliveMs);
  }

  private stopKeepAlive(): void {
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = null;
  }

  private setStatus(status: RealtimeStatus): void {
    if (this.status === status) return;
    this.status = status;
    for (const l of [...this.statusListeners]) l(status);
  }
}
