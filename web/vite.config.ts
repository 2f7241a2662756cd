import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/** Where `vite dev` forwards API and WebSocket calls; override with HELPDESK_API_URL. */
const apiTarget = process.env.HELPDESK_API_URL ?? "http://127.0.0.1:3000";

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: [
      // Enums and limits only: keeps zod out of the browser bundle (see the file's comment).
      {
        find: /^@helpdesk\/contracts$/,
        replacement: fileURLToPath(new URL("./src/shared/contracts-runtime.ts", import.meta.url)),
      },
    ],
  },
  server: {
    proxy: {
      "/api": { target: apiTarget, changeOrigin: false },
      "/ws": { target: apiTarget, ws: true },
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 700,
  },
});
