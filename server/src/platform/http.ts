import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from "fastify-type-provider-zod";
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
    (error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) => {
      if (isAppError(error) && !error.isInternal) {
        const body: TErrorBody = { error: { code: error.code, message: error.message } };
        if (error.details !== undefined) body.error.details = error.details;
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
