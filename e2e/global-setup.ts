import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { E2E_ADMIN, E2E_BASE_URL, E2E_PORT } from "./fixtures/env.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, "../server/dist/cli.js");
const webIndex = path.resolve(here, "../web/dist/index.html");
/** The tail of the server's output is kept here after the run, for failures that are the server's. */
const serverLog = path.resolve(here, "test-results/server.log");

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", () => reject(new Error(`port ${port} is busy: set E2E_PORT to a free port`)));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve()));
  });
}

/**
 * A fresh embedded database is created and migrated at start: about 20 s on two cores that are
 * busy with other work, and up to a minute when they are saturated.
 */
async function waitForHealth(child: ChildProcess, output: () => string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`the server exited with ${child.exitCode}:\n${output()}`);
    }
    try {
      const res = await fetch(`${E2E_BASE_URL}/api/health/`);
      if (res.ok) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the server did not become healthy in ${timeoutMs} ms:\n${output()}`);
}

/**
 * Starts the built server on a fresh embedded database in a temporary DATA_DIR and returns the
 * teardown that stops it and removes the directory.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(cli) || !existsSync(webIndex)) {
    throw new Error("server/dist or web/dist is missing: run `npm run build` before `npm run test:e2e`");
  }
  await assertPortFree(E2E_PORT);
  const dataDir = mkdtempSync(path.join(tmpdir(), "helpdesk-e2e-"));
  let log = "";
  const child = spawn(process.execPath, [cli, "start"], {
    env: {
      ...process.env,
      NODE_ENV: "production",
      DATA_DIR: dataDir,
      PORT: String(E2E_PORT),
      HOST: "127.0.0.1",
      ADMIN_EMAIL: E2E_ADMIN.email,
      ADMIN_PASSWORD: E2E_ADMIN.password,
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-200_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(path.dirname(serverLog), { recursive: true });
    writeFileSync(serverLog, log);
  };
  try {
    await waitForHealth(child, () => log);
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}
