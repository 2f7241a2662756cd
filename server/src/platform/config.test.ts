import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

const dataDir = () => mkdtempSync(path.join(tmpdir(), "helpdesk-config-"));

describe("loadConfig", () => {
  it("uses the documented defaults and the embedded database", () => {
    const dir = dataDir();
    const c = loadConfig({ DATA_DIR: dir });
    expect(c).toMatchObject({
      port: 3000,
      host: "127.0.0.1",
      databaseUrl: undefined,
      services: ["web", "worker"],
    });
    expect(c.publicUrl).toBe("http://127.0.0.1:3000");
  });

  it("generates APP_SECRET into DATA_DIR once and reuses it", () => {
    const dir = dataDir();
    const first = loadConfig({ DATA_DIR: dir }).appSecret;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(path.join(dir, "app-secret"), "utf8").trim()).toBe(first);
    expect(loadConfig({ DATA_DIR: dir }).appSecret).toBe(first);
  });

  it("lists every bad variable by name", () => {
    try {
      loadConfig({
        DATA_DIR: dataDir(),
        PORT: "http",
        DATABASE_URL: "mysql://x",
        SERVICES: "web,cook",
        APP_SECRET: "short",
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      for (const name of ["PORT", "DATABASE_URL", "SERVICES", "APP_SECRET"]) expect(message).toContain(name);
    }
  });

  it("requires ADMIN_EMAIL and ADMIN_PASSWORD together", () => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), ADMIN_EMAIL: "a@example.com" })).toThrow(
      /ADMIN_EMAIL and ADMIN_PASSWORD/,
    );
  });

  it("has HTTP timeouts that let a 25 MB upload through a slow link and end a stalled one", () => {
    const c = loadConfig({ DATA_DIR: dataDir() });
    expect(c.timeouts).toEqual({
      headersMs: 30_000,
      requestMs: 600_000,
      bodyMs: 30_000,
      uploadStallMs: 30_000,
      idleMs: 120_000,
      keepAliveMs: 72_000,
    });
    // 25 MB in REQUEST_TIMEOUT_MS is about 350 kbit/s.
    expect((25 * 8 * 1024) / (c.timeouts.requestMs / 1000)).toBeLessThan(350);
    expect(loadConfig({ DATA_DIR: dataDir(), REQUEST_TIMEOUT_MS: "900000" }).timeouts.requestMs).toBe(
      900_000,
    );
  });

  it("refuses timeouts that cannot work together, naming them", () => {
    const load = (env: Record<string, string>) => () => loadConfig({ DATA_DIR: dataDir(), ...env });
    expect(load({ HEADERS_TIMEOUT_MS: "5000", REQUEST_TIMEOUT_MS: "1000", BODY_TIMEOUT_MS: "1000" })).toThrow(
      /HEADERS_TIMEOUT_MS/,
    );
    expect(load({ UPLOAD_STALL_TIMEOUT_MS: "120000" })).toThrow(/UPLOAD_STALL_TIMEOUT_MS/);
    expect(load({ IDLE_TIMEOUT_MS: "fast" })).toThrow(/IDLE_TIMEOUT_MS/);
    expect(load({ BODY_TIMEOUT_MS: "10" })).toThrow(/BODY_TIMEOUT_MS/);
  });

  it("has PostgreSQL pool defaults that keep a warm minimum and never wait forever", () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).databasePool).toEqual({
      max: 10,
      min: 2,
      idleTimeoutMs: 300_000,
      connectTimeoutMs: 5000,
      statementTimeoutMs: 30_000,
    });
    const small = loadConfig({
      DATA_DIR: dataDir(),
      DATABASE_POOL_SIZE: "1",
      DATABASE_POOL_MIN: "4",
      DATABASE_STATEMENT_TIMEOUT_MS: "0",
    }).databasePool;
    expect(small).toMatchObject({ max: 1, min: 1, statementTimeoutMs: 0 });
    expect(() => loadConfig({ DATA_DIR: dataDir(), DATABASE_POOL_SIZE: "0" })).toThrow(/DATABASE_POOL_SIZE/);
    expect(() => loadConfig({ DATA_DIR: dataDir(), DATABASE_CONNECT_TIMEOUT_MS: "soon" })).toThrow(
      /DATABASE_CONNECT_TIMEOUT_MS/,
    );
  });
});
