import type { FastifyInstance } from "fastify";
import type { TConfig } from "./config.js";

/**
 * The policy of every HTML page we serve (the app shell, its deep links, Swagger UI): scripts
 * only from our own origin (no inline scripts, no eval), no plugins, no framing, no foreign
 * form targets. Styles may be inline: the component library writes its CSS variables into a
 * `<style>` element at run time, and inline styles cannot run code.
 */
export function htmlContentSecurityPolicy(publicUrl: string): string {
  const url = new URL(publicUrl);
  const socket = `${url.protocol === "https:" ? "wss:" : "ws:"}//${url.host}`;
  return [
    "default-src 'self'",
    "script-src 'self'",
    "script-src-attr 'none'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "media-src 'self' data: blob:",
    `connect-src 'self' ${socket}`,
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Everything that is not a page (JSON, files): nothing may load from it or frame it. */
export const NON_HTML_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

/**
 * Security headers on every response: a Content-Security-Policy (a route that set its own,
 * such as attachment downloads, keeps it), no MIME sniffing, no framing, no referrer to other
 * sites, and HSTS in production over https.
 */
export function installSecurityHeaders(
  app: FastifyInstance,
  config: Pick<TConfig, "publicUrl" | "isProduction">,
) {
  const htmlPolicy = htmlContentSecurityPolicy(config.publicUrl);
  const hsts = config.isProduction && config.publicUrl.startsWith("https://");
  app.addHook("onSend", async (_req, reply, payload) => {
    if (!reply.hasHeader("Content-Security-Policy")) {
      const type = String(reply.getHeader("Content-Type") ?? "");
      reply.header(
        "Content-Security-Policy",
        type.startsWith("text/html") ? htmlPolicy : NON_HTML_CONTENT_SECURITY_POLICY,
      );
    }
    reply.header("X-Content-Type-Options", "nosniff");
    reply.header("X-Frame-Options", "DENY");
    reply.header("Referrer-Policy", "same-origin");
    reply.header("Cross-Origin-Opener-Policy", "same-origin");
    reply.header("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
    if (hsts) reply.header("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    return payload;
  });
}
