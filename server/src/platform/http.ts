import { type Duplex, PassThrough } from "node:stream";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from "fastify-type-provider-zod";
import { classifyDatabaseUnavailableError } from "./db-availability-errors.js";
import { classifyDatabaseInputError } from "./db-input-errors.js";
import { AppError, isAppError } from "./errors.js";

type TErrorBody = { error: { code: string; message: string; details?: unknown } };

const sendError = (reply: FastifyReply, status: number, body: TErrorBody) => reply.status(status).send(body);

/** Fastify's own error codes for malformed requests, mapped to stable API codes. */
const FASTIFY_CODES: Record<string, { code: string; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: "request.malformed_json", message: "The body is not valid JSON" },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: "request.empty_body", message: "The JSON body is empty" },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: "request.too_large", message: "The request body is too large" },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: "request.unsupported_media_type",
    message: "This content type is not supported",
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: "request.bad_content_length", message: "Bad Content-Length" },
  FST_REQ_FILE_TOO_LARGE: { code: "uploads.too_large", message: "The file is too large" },
  FST_FILES_LIMIT: { code: "uploads.too_many_files", message: "Too many files" },
  FST_PARTS_LIMIT: { code: "uploads.too_many_parts", message: "Too many parts" },
  FST_INVALID_MULTIPART_CONTENT_TYPE: {
    code: "uploads.not_multipart",
    message: "Expected multipart/form-data",
  },
  FST_ERR_BAD_URL: { code: "request.bad_url", message: "The URL is malformed" },
};

/**
 * One handler turns every error into `{ error: { code, message, details } }`. Client errors
 * carry a stable code; 5xx text is hidden and the cause is logged with the request context.
 */
export function installErrorHandling(
  app: FastifyInstance,
  options: { spaFallback?: (request: FastifyRequest, reply: FastifyReply) => boolean } = {},
): void {
  app.setErrorHandler(
    (thrown: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) => {
      // The database restarting or unreachable is an outage, not a bug: 503 with Retry-After.
      const unavailable = isAppError(thrown) ? undefined : classifyDatabaseUnavailableError(thrown);
      if (unavailable) request.log.warn({ err: thrown }, "database unavailable");
      const error = unavailable ?? thrown;
      if (isAppError(error) && !error.isInternal) {
        const body: TErrorBody = { error: { code: error.code, message: error.message } };
        if (error.details !== undefined) body.error.details = error.details;
        const retryAfter = (error.details as { retry_after_seconds?: unknown } | undefined)
          ?.retry_after_seconds;
        if (typeof retryAfter === "number") void reply.header("Retry-After", String(Math.ceil(retryAfter)));
        return sendError(reply, error.statusCode, body);
      }
      if (hasZodFastifySchemaValidationErrors(error)) {
        const details = error.validation.map((v) => ({
          path: [
            String(error.validationContext ?? ""),
            ...String(v.instancePath ?? "")
              .split("/")
              .filter(Boolean),
          ]
            .filter(Boolean)
            .join("."),
          message: v.message,
          code:
            v.params?.issue && typeof v.params.issue === "object"
              ? (v.params.issue as { code?: string }).code
              : undefined,
        }));
        return sendError(reply, 400, {
          error: { code: "validation.invalid", message: "The request is not valid", details },
        });
      }
      const invalidValue = classifyDatabaseInputError(error, request.log);
      if (invalidValue)
        return sendError(reply, 400, { error: { code: invalidValue.code, message: invalidValue.message } });
      const fastifyCode = "code" in error ? String(error.code) : "";
      const mapped = FASTIFY_CODES[fastifyCode];
      if (mapped) {
        const status = "statusCode" in error && typeof error.statusCode === "number" ? error.statusCode : 400;
        return sendError(reply, status, { error: mapped });
      }
      const status = "statusCode" in error && typeof error.statusCode === "number" ? error.statusCode : 500;
      if (status === 429) {
        return sendError(reply, 429, {
          error: { code: "request.rate_limited", message: "Too many requests" },
        });
      }
      if (status >= 400 && status < 500 && !isResponseSerializationError(error)) {
        return sendError(reply, status, { error: { code: "request.invalid", message: error.message } });
      }
      request.log.error({ err: error }, "request failed");
      return sendError(reply, 500, {
        error: { code: "internal", message: "Something went wrong on our side" },
      });
    },
  );

  app.setNotFoundHandler((request, reply) => {
    if (options.spaFallback?.(request, reply)) return reply;
    return sendError(reply, 404, {
      error: {
        code: "common.route_not_found",
        message: `No route ${request.method} ${request.url.split("?")[0]}`,
      },
    });
  });
}

/** Opaque keyset cursors: base64url JSON. A cursor that does not decode is a 400. */
export function encodeCursor(value: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/**
 * A check for cursors `{id}` whose id fits its column: INT4_MAX for `integer` ids,
 * Number.MAX_SAFE_INTEGER for `bigint` ids. Anything else is a forged cursor (400).
 */
export const isIdCursor =
  (max: number) =>
  (v: unknown): v is { id: number } => {
    const id = typeof v === "object" && v !== null ? (v as { id?: unknown }).id : undefined;
    return typeof id === "number" && Number.isSafeInteger(id) && id >= 0 && id <= max;
  };

export function decodeCursor<T>(cursor: string, check: (v: unknown) => v is T): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (check(value)) return value;
  } catch {
    // fall through
  }
  throw new AppError("pagination.bad_cursor", 400, "The cursor is not valid");
}

/**
 * Router errors (a path that does not decode, FST_ERR_BAD_URL) in the API's error shape; Fastify
 * answers these before the error handler.
 */
export function handleFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  const mapped = FASTIFY_CODES[error.code] ?? {
    code: "request.invalid",
    message: "The request is not valid",
  };
  const status = typeof error.statusCode === "number" && error.statusCode >= 400 ? error.statusCode : 400;
  return sendError(reply, status, { error: mapped });
}

/** What Node's HTTP parser and its timeouts report, as status and stable code. */
const CLIENT_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: "request.timeout",
    message: "The request took too long to arrive",
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: "request.headers_too_large",
    message: "The request headers are too large",
  },
  HPE_INVALID_EOF_STATE: {
    status: 400,
    code: "request.incomplete",
    message: "The connection ended before the request was complete",
  },
};
const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
};

/**
 * Requests Node's parser rejects (bad URL bytes, broken headers, a body cut short) and requests
 * its timeouts end (headers or body too slow) still get the API's error shape, then the
 * connection closes. A connection that can no longer take an answer is destroyed, never left open.
 */
export function handleClientError(error: Error & { code?: string }, socket: Duplex) {
  const response = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || response?.headersSent) {
    socket.destroy();
    return;
  }
  const mapped = CLIENT_ERRORS[error.code ?? ""] ?? {
    status: 400,
    code: "request.malformed",
    message: "The HTTP request is malformed",
  };
  const body = JSON.stringify({ error: { code: mapped.code, message: mapped.message } });
  socket.end(
    `HTTP/1.1 ${mapped.status} ${STATUS_TEXT[mapped.status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * A request body other than an upload must arrive in full within `timeoutMs`; otherwise the
 * request is answered 408 `request.timeout` and the connection closes. Without it a body
 * trickling in a byte at a time holds its connection until REQUEST_TIMEOUT_MS. Uploads
 * (multipart) are watched for stalls by the upload reader instead.
 */
export function installBodyTimeout(app: FastifyInstance, timeoutMs: number): void {
  app.addHook("preParsing", async (request, reply, payload) => {
    const hasBody =
      request.headers["transfer-encoding"] !== undefined ||
      Number(request.headers["content-length"] ?? 0) > 0;
    if (!hasBody || /^multipart\//i.test(request.headers["content-type"] ?? "")) return payload;
    const guarded = new PassThrough();
    const timer = setTimeout(() => {
      payload.unpipe(guarded);
      reply.header("connection", "close");
      guarded.destroy(
        new AppError(
          "request.timeout",
          408,
          `The request body did not arrive within ${Math.round(timeoutMs / 1000)} s`,
        ),
      );
    }, timeoutMs);
    timer.unref();
    const stop = () => clearTimeout(timer);
    payload.once("end", stop);
    guarded.once("close", stop);
    // A request answered without reading its body (415, 404) must not leave the timer behind.
    reply.raw.once("close", stop);
    guarded.on("error", () => {});
    payload.once("error", (error) => {
      stop();
      guarded.destroy(error);
    });
    payload.pipe(guarded);
    return guarded;
  });
}
