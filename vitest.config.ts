import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["server/src/**/*.test.ts", "contracts/src/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "integration",
          include: ["server/test/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 120_000,
          // PGlite is single-threaded WASM; two workers keep both cores busy without thrashing.
          maxWorkers: 2,
          minWorkers: 1,
        },
      },
    ],
  },
});
