import type { Multipart } from "@fastify/multipart";
import type { FastifyReply, FastifyRequest } from "fastify";
import { AppError, isAppError } from "../../platform/errors.js";

export const createUploadTimeoutError = (stallMs: number) =>
  new AppError(
    "uploads.timeout",
    408,
    `The upload stopped: nothing arrived for ${Math.round(stallMs / 1000)} s`,
  );
export const createMalformedMultipartError = (reason: string) =>
  new AppError("uploads.malformed", 400, "The multipart body is malformed", { reason });
const createUploadAbortedError = () =>
  new AppError("uploads.aborted", 400, "The connection closed before the upload was complete");

/** After the body has fully arrived, a part that still does not end within this is a cut-off body. */
const AFTER_END_GRACE_MS = 1000;

/** One multipart body being read; `signal` aborts with the AppError to answer. */
export type TMultipartReader = {
  /** The parts in order; every failure (malformed, stalled, cut short, client gone) is an AppError. */
  parts(): AsyncGenerator<Multipart>;
  /** Aborted when the upload cannot finish; pass it to the stream that consumes a file. */
  signal: AbortSignal;
  /** Tells the stall timer that a file is making progress (bytes written). */
  touch(): void;
  /** Stops the stall timer while the server (not the client) works, e.g. between two parts. */
  rest(): void;
  /** Stops watching the connection; call it when the body has been read (or given up). */
  close(): void;
};

function boundaryOf(contentType: string | undefined): string | undefined {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? "");
  return match?.[1] ?? match?.[2];
}

/**
 * Reads a multipart/form-data body so that it always ends with an answer: a client that sends
 * nothing for `stallMs` gets 408 `uploads.timeout`, a body that is malformed or ends before its
 * closing delimiter 400 `uploads.malformed`, a client that goes away ends the read. After any
 * of these the connection is closed once answered (the rest of the body is never read).
 */
export function openMultipartReader(
  req: FastifyRequest,
  reply: FastifyReply,
  options: { stallMs: number; limits: { files: number; fileSize: number } },
): TMultipartReader {
  if (!req.isMultipart()) throw new AppError("uploads.not_multipart", 415, "Expected multipart/form-data");
  const raw = req.raw;
  const controller = new AbortController();
  const fail = (error: AppError) => {
    if (controller.signal.aborted) return;
    reply.header("connection", "close");
    controller.abort(error);
  };
  const aborted = new Promise<never>((_, reject) =>
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true }),
  );
  aborted.catch(() => {});

  // @fastify/multipart treats a body without its closing delimiter as complete: look for it.
  const boundary = boundaryOf(req.headers["content-type"]);
  const closing = boundary ? Buffer.from(`--${boundary}--`) : undefined;
  let carry = Buffer.alloc(0);
  let sawClosing = false;
  let ended = raw.readableEnded;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    if (controller.signal.aborted) return;
    timer = setTimeout(
      () =>
        fail(
          ended
            ? createMalformedMultipartError("the body ended in the middle of a part")
            : createUploadTimeoutError(options.stallMs),
        ),
      ended ? Math.min(options.stallMs, AFTER_END_GRACE_MS) : options.stallMs,
    );
    timer.unref();
  };
  const onData = (chunk: Buffer) => {
    arm();
    if (!closing || sawClosing) return;
    const window = Buffer.concat([carry, chunk]);
    if (window.includes(closing)) sawClosing = true;
    carry = window.subarray(Math.max(0, window.length - closing.length));
  };
  const onEnd = () => {
    ended = true;
    arm();
  };
  const onClose = () => {
    if (!raw.complete) fail(createUploadAbortedError());
  };

  // req.parts() pipes the request into the parser first, so listening to `data` here takes
  // nothing away from it.
  const iterator = req.parts({ limits: options.limits })[Symbol.asyncIterator]();
  raw.on("data", onData);
  raw.once("end", onEnd);
  raw.once("close", onClose);
  arm();

  const close = () => {
    clearTimeout(timer);
    raw.off("data", onData);
    raw.off("end", onEnd);
    raw.off("close", onClose);
  };

  async function* parts(): AsyncGenerator<Multipart> {
    for (;;) {
      arm();
      let next: IteratorResult<Multipart>;
      try {
        next = await Promise.race([iterator.next(), aborted]);
      } catch (error) {
        throw toUploadError(error, controller.signal);
      }
      if (next.done) {
        if (!sawClosing) throw createMalformedMultipartError("the body has no closing delimiter");
        return;
      }
      // The consumer's turn. A file's bytes must keep coming (the consumer touches the timer
      // for each chunk); a field is complete already.
      if (next.value.type === "file") arm();
      else clearTimeout(timer);
      yield next.value;
    }
  }

  return { parts, signal: controller.signal, touch: arm, rest: () => clearTimeout(timer), close };
}

/**
 * An error met while reading a multipart body as the AppError to answer. Fastify's limit errors
 * (FST_*) keep their codes; parser errors (no boundary, an oversize boundary, a part cut short)
 * are a malformed body.
 */
export function toUploadError(error: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason;
  if (isAppError(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code.startsWith("FST_")) return error;
  return createMalformedMultipartError(error instanceof Error ? error.message : String(error));
}
