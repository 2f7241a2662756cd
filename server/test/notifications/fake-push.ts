import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** A local stand-in for a browser push service: records requests, answers a chosen status. */
export async function startFakePushService() {
  const requests: { path: string; headers: IncomingHttpHeaders; body: Buffer }[] = [];
  const statusByPath = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      requests.push({ path, headers: req.headers, body: Buffer.concat(chunks) });
      res.statusCode = statusByPath.get(path) ?? 201;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: (path: string) => `http://127.0.0.1:${port}${path}`,
    requests,
    answer(path: string, status: number) {
      statusByPath.set(path, status);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
