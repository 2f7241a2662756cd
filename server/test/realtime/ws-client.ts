import WebSocket from "ws";

export type TWsMessage = { type: string; [key: string]: unknown };

/** A test WebSocket client that records what it receives and waits for messages. */
export type TTestSocket = {
  socket: WebSocket;
  messages: TWsMessage[];
  send(message: unknown): void;
  sendRaw(data: string | Buffer): void;
  /** Resolves with the first recorded message (old or new) that matches. */
  next(match: (m: TWsMessage) => boolean, timeoutMs?: number): Promise<TWsMessage>;
  /** Messages of a type received so far. */
  ofType(type: string): TWsMessage[];
  /** Waits a little and checks nothing matching arrived. */
  expectNone(match: (m: TWsMessage) => boolean, waitMs?: number): Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
};

export function wsUrl(address: string, query = ""): string {
  return `${address.replace(/^http/, "ws")}/ws${query}`;
}

/** Opens a socket and waits for the server's hello. */
export async function openSocket(url: string, headers: Record<string, string> = {}): Promise<TTestSocket> {
  const socket = new WebSocket(url, { headers });
  const messages: TWsMessage[] = [];
  const waiters = new Set<{ match: (m: TWsMessage) => boolean; resolve: (m: TWsMessage) => void }>();
  socket.on("message", (data) => {
    const m = JSON.parse(String(data)) as TWsMessage;
    messages.push(m);
    for (const w of [...waiters]) {
      if (w.match(m)) {
        waiters.delete(w);
        w.resolve(m);
      }
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on("close", (code, reason) => resolve({ code, reason: String(reason) }));
  });
  const t: TTestSocket = {
    socket,
    messages,
    send: (message) => socket.send(JSON.stringify(message)),
    sendRaw: (data) => socket.send(data),
    next(match, timeoutMs = 5000) {
      const found = messages.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (m: TWsMessage) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`timed out waiting; got ${JSON.stringify(messages.slice(-10))}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    ofType: (type) => messages.filter((m) => m.type === type),
    async expectNone(match, waitMs = 300) {
      await new Promise((r) => setTimeout(r, waitMs));
      const found = messages.find(match);
      if (found) throw new Error(`unexpected message ${JSON.stringify(found)}`);
    },
    closed,
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      socket.close();
      await closed;
    },
  };
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
    socket.once("unexpected-response", (_req, res) =>
      reject(new Error(`upgrade refused: ${res.statusCode}`)),
    );
  });
  await t.next((m) => m.type === "hello");
  return t;
}

/** Subscribes and waits for the acknowledgement (after any catch-up). */
export async function subscribe(t: TTestSocket, topics: string[], since?: number): Promise<TWsMessage> {
  const before = t.ofType("subscribed").length;
  t.send({ type: "subscribe", topics, ...(since !== undefined ? { since } : {}) });
  return t.next((m) => m.type === "subscribed" && t.ofType("subscribed").indexOf(m) >= before);
}

export const eventsOf = (t: TTestSocket, ticketId?: number) =>
  t.messages.filter((m) => m.type === "event" && (ticketId === undefined || m.ticket_id === ticketId));
