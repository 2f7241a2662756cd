import { defineConfig, devices } from "@playwright/test";
import { E2E_BASE_URL } from "./fixtures/env.js";

/**
 * Specs that change a setting of the whole server (the corporate e-mail domain of sign-up, the
 * SMTP server). Every other spec owns its data (its own department, queue, users), but these
 * cannot: two copies of one of them at once (`--repeat-each`, a retry next to the first run)
 * would overwrite each other's setting. Their project runs them one at a time, next to the rest.
 */
const SERVER_SETTINGS = [
  /specs\/auth\/register-sign-in-sign-out\.spec\.ts$/,
  /specs\/admin\/email-settings\.spec\.ts$/,
];

/**
 * Browser tests against the real built server (`npm run build` first) on a fresh embedded
 * database started by `global-setup.ts`. Chromium is Debian's, not a Playwright download.
 */
export default defineConfig({
  testDir: "./specs",
  globalSetup: "./global-setup.ts",
  outputDir: "./test-results",
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: process.env.CI ? 1 : 0,
  // Two cores: one browser worker per core would starve the server; two workers share them well.
  workers: 2,
  // Budgets, not waits: a passing test takes as long as before. The two cores are shared by the
  // server, the browsers and whatever else the machine runs; a first screen that renders in 1–3 s
  // on a quiet machine took 5–10 s with both cores saturated, and the tests with two browsers
  // or many screens ran out of 30 s without anything being wrong.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["html", { outputFolder: "playwright-report", open: "never" }]],
  projects: [
    { name: "server-settings", testMatch: SERVER_SETTINGS, workers: 1 },
    { name: "app", testIgnore: SERVER_SETTINGS },
  ],
  use: {
    ...devices["Desktop Chrome"],
    baseURL: E2E_BASE_URL,
    locale: "en-US",
    timezoneId: "Europe/Moscow",
    // DOM snapshots, but no screencast: recording frames on two cores without a GPU made every
    // page 2–3 times slower and the tests time out (failures still get a screenshot below).
    trace: { mode: "retain-on-failure", snapshots: true, screenshots: false },
    screenshot: "only-on-failure",
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    launchOptions: {
      executablePath: process.env.E2E_CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
});
