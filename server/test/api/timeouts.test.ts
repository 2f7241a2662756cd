import { readdirSync } from "node:fs";
import { connect, type Socket } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TTestServer } from "../helpers.js";
import { openSocket, wsUrl } from "../realtime/ws-client.js";
import { multipartBody } from "./fuzz-corpus.js";

/** Short timeouts, so that each case takes a few seconds. */
const T = {
  HEADERS_TIMEOUT_MS: 800,
  REQUEST_TIMEOUT_MS: 4000,
  BODY_TIMEOUT_MS: 800,
  UPLOAD_STALL_TIMEOUT_MS: 800,
  IDLE_TIMEOUT_MS: 3000,
  KEEP_ALIVE_TIMEOUT_MS: 1000,
};

let s: TTestServer;
let address: string;
let port: number;
let admin: Awaited<ReturnType<TTestServer["actor"]>>;

beforeAll(async () => {
  s = await startTestServer({ env: Object.fromEntries(Object.entries(T).map(([k, v]) => [k, String(v)])) });
  admin = await s.actor("admin");
  address = await s.app.listen({ port: 0, host: "127.0.0.1" });
  port = (s.app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await s?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const count = async (table: string) =>
  Number((await s.ctx.database.executor.executeSql(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n);
const tempFiles = () => readdirSync(path.join(s.config.dataDir, "tmp"));

/** A raw connection that records what the server sends and when it closes. */
function open(): Promise<{ socket: Socket; text: () => string; closed: Promise<number> }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, "127.0.0.1");
    let text = "";
    socket.on("data", (d) => {
      text += d.toString("utf8");
    });
    socket.on("error", () => {});
    const closed = new Promise<number>((r) => socket.on("close", () => r(Date.now() - started)));
    socket.on("connect", () => resolve({ socket, text: () => text, closed }));
  });
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
const jsonOf = (text: string) =>
  JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)) as { error: { code: string } };

/** Within this of a timeout, the answer must have come (the server checks every 200 ms). */
const SLACK_MS = 1500;

describe("#http timeouts", () => {
  it("answers a request whose headers never finish with 408 request.timeout and closes the connection", async () => {
    const c = await open();
    c.socket.write("GET /api/health/ HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    const ms = await c.closed;
    expect(statusOf(c.text())).toBe(408);
    expect(jsonOf(c.text()).error.code).toBe("request.timeout");
    expect(ms).toBeLessThan(T.HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it("answers a JSON body trickling in a byte at a time with 408 request.timeout and stores nothing", async () => {
    const before = await count("tickets");
    const body = JSON.stringify({ title: "slow", description: "x".repeat(100) });
    const c = await open();
    c.socket.write(
      `POST /api/tickets/ HTTP/1.1\r\nHost: x\r\nAuthorization: ${admin.headers.authorization}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    const trickle = setInterval(() => c.socket.writable && c.socket.write(body[0]!), 200);
    const ms = await c.closed;
    clearInterval(trickle);
    expect(statusOf(c.text())).toBe(408);
    expect(jsonOf(c.text()).error.code).toBe("request.timeout");
    expect(ms).toBeLessThan(T.BODY_TIMEOUT_MS + SLACK_MS);
    expect(await count("tickets")).toBe(before);
  });

  it("ends a stalled upload with 408 uploads.timeout, removes its temp file and stores nothing", async () => {
    const before = await count("attachments");
    const body = multipartBody("stall", [
      {
        name: "file",
        filename: "big.bin",
        type: "application/octet-stream",
        value: Buffer.alloc(200_000, 1),
      },
    ]);
    const c = await open();
    c.socket.write(
      `POST /api/upload/ HTTP/1.1\r\nHost: x\r\nAuthorization: ${admin.headers.authorization}\r\nContent-Type: multipart/form-data; boundary=stall\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    c.socket.write(body.subarray(0, 120_000));
    await sleep(200);
    expect(tempFiles()).toHaveLength(1);
    const ms = await c.closed;
    expect(statusOf(c.text())).toBe(408);
    expect(jsonOf(c.text()).error.code).toBe("uploads.timeout");
    expect(ms).toBeLessThan(T.UPLOAD_STALL_TIMEOUT_MS + 200 + SLACK_MS);
    expect(tempFiles()).toEqual([]);
    expect(await count("attachments")).toBe(before);
  });

  it("accepts a slow upload that never stalls, though it takes longer than the body and stall timeouts", async () => {
    const body = multipartBody("steady", [
      { name: "file", filename: "steady.txt", type: "text/plain", value: Buffer.alloc(100_000, 0x61) },
    ]);
    const c = await open();
    c.socket.write(
      `POST /api/upload/ HTTP/1.1\r\nHost: x\r\nAuthorization: ${admin.headers.authorization}\r\nContent-Type: multipart/form-data; boundary=steady\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    );
    const pieces = 12;
    const size = Math.ceil(body.length / pieces);
    for (let i = 0; i < pieces; i++) {
      c.socket.write(body.subarray(i * size, (i + 1) * size));
      await sleep(250);
    }
    await c.closed;
    expect(statusOf(c.text()), c.text()).toBe(201);
    expect(tempFiles()).toEqual([]);
  });

  it("ends an upload still arriving after REQUEST_TIMEOUT_MS with 408 and removes its temp file", async () => {
    const before = await count("attachments");
    const body = multipartBody("endless", [
      {
        name: "file",
        filename: "endless.bin",
        type: "application/octet-stream",
        value: Buffer.alloc(500_000, 2),
      },
    ]);
    const c = await open();
    c.socket.write(
      `POST /api/upload/ HTTP/1.1\r\nHost: x\r\nAuthorization: ${admin.headers.authorization}\r\nContent-Type: multipart/form-data; boundary=endless\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    let offset = 0;
    const drip = setInterval(() => {
      if (!c.socket.writable || offset >= body.length - 1000) return;
      c.socket.write(body.subarray(offset, offset + 1000));
      offset += 1000;
    }, 300);
    const ms = await c.closed;
    clearInterval(drip);
    expect(statusOf(c.text())).toBe(408);
    expect(jsonOf(c.text()).error.code).toBe("request.timeout");
    expect(ms).toBeLessThan(T.REQUEST_TIMEOUT_MS + SLACK_MS);
    for (let i = 0; i < 20 && tempFiles().length > 0; i++) await sleep(50);
    expect(tempFiles()).toEqual([]);
    expect(await count("attachments")).toBe(before);
  });

  it("closes an idle keep-alive connection after KEEP_ALIVE_TIMEOUT_MS", async () => {
    const c = await open();
    c.socket.write("GET /api/health/ HTTP/1.1\r\nHost: x\r\n\r\n");
    const ms = await c.closed;
    expect(statusOf(c.text())).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(T.KEEP_ALIVE_TIMEOUT_MS - 100);
    expect(ms).toBeLessThan(T.KEEP_ALIVE_TIMEOUT_MS + SLACK_MS);
  });

  it("keeps a quiet WebSocket open past every HTTP timeout", async () => {
    const token = admin.headers.authorization.replace(/^Bearer /, "");
    const ws = await openSocket(wsUrl(address, `?token=${token}`));
    await sleep(T.REQUEST_TIMEOUT_MS + 1000);
    ws.send({ type: "ping" });
    expect((await ws.next((m) => m.type === "pong")).type).toBe("pong");
    await ws.close();
  }, 15_000);
});
