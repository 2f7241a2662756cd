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
      // The server takes cookie writes only from its own origin (PUBLIC_URL): the dev server's
      // pages speak as if they were served by it.
      "/api": {
        target: apiTarget,
        changeOrigin: false,
        configure: (proxy) => {
          proxy.on("proxyReq", (req) => {
            if (req.getHeader("origin")) req.setHeader("origin", new URL(apiTarget).origin);
          });
        },
      },
      "/ws": {
        target: apiTarget,
        ws: true,
        configure: (proxy) => {
          proxy.on("proxyReqWs", (req) => {
            if (req.getHeader("origin")) req.setHeader("origin", new URL(apiTarget).origin);
          });
        },
      },
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 700,
  },
});
