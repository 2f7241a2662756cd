import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const cli = path.join(root, "server/src/cli.ts");
const tsx = path.join(root, "node_modules/.bin/tsx");
const dataDir = mkdtempSync(path.join(tmpdir(), "helpdesk-cli-"));
const children: ChildProcess[] = [];

function run(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(tsx, [cli, ...args], {
      env: { PATH: process.env.PATH ?? "", DATA_DIR: dataDir, LOG_LEVEL: "warn", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

// The CLI runs on the embedded database; once per suite is enough.
describe.skipIf(process.env.TEST_DB === "postgres")("helpdesk CLI", () => {
  it("stops with a message naming each bad variable", async () => {
    const res = await run(["migrate"], { PORT: "http", DATABASE_URL: "mysql://nope" });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("PORT");
    expect(res.stderr).toContain("DATABASE_URL");
  });

  it("migrates, creates an admin, seeds a demo, and the server serves it", { timeout: 300_000 }, async () => {
    expect((await run(["migrate"])).stdout).toContain("Migrations applied");
    const weak = await run(["create-admin", "--email", "boss@example.com", "--password", "short"]);
    expect(weak.code).toBe(2);
    const ok = await run(["create-admin", "--email", "boss@example.com", "--password", "a-long-admin-pass"]);
    expect(ok.code, ok.stderr).toBe(0);
    const seeded = await run(["seed-demo", "--tickets", "15"]);
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(seeded.stdout).toContain("Demo ready");

    const port = 3800 + Math.floor(Math.random() * 100);
    const server = spawn(tsx, [cli, "start"], {
      env: { PATH: process.env.PATH ?? "", DATA_DIR: dataDir, LOG_LEVEL: "warn", PORT: String(port) },
      stdio: "ignore",
    });
    children.push(server);
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 120; i++) {
      const up = await fetch(`${base}/api/health/`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    // A second process on the same embedded database is refused instead of corrupting it.
    const second = await run(["migrate"]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain("in use by process");

    const login = await fetch(`${base}/api/auth/login/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "operator@demo.local", password: "helpdesk-demo-1" }),
    });
    expect(login.status).toBe(200);
    const { access } = (await login.json()) as { access: string };
    const list = await fetch(`${base}/api/tickets/all-tickets/`, {
      headers: { authorization: `Bearer ${access}` },
    });
    expect(((await list.json()) as { results: unknown[] }).results.length).toBeGreaterThan(5);
    const admin = await fetch(`${base}/api/auth/login/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "boss@example.com", password: "a-long-admin-pass" }),
    });
    expect(admin.status).toBe(200);
    server.kill("SIGTERM");
    await new Promise((r) => server.once("close", r));
  });
});
