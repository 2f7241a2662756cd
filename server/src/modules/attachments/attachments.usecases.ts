import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { MultipartFile } from "@fastify/multipart";
import { LIMITS } from "@helpdesk/contracts";
import { fileTypeFromBuffer } from "file-type";
import type { AppContext } from "../../app-context.js";
import type { DbOrTx } from "../../platform/db/index.js";
import { attachments } from "../../platform/db/schema/index.js";
import { AppError } from "../../platform/errors.js";
import type { TActor } from "../auth/auth.actor.js";
import { canSeeInternalNotes, canViewTicket } from "../tickets/tickets.policies.js";
import { findTicketRow } from "../tickets/tickets.repository.js";
import { createAttachmentNotFoundError } from "./attachments.errors.js";
import { toUploadError } from "./attachments.multipart.js";
import { canDownloadAttachment } from "./attachments.policies.js";
import { findAttachmentById, findMessageIsInternal, type TAttachmentRow } from "./attachments.repository.js";

const BLOCKED_TYPES = new Set([
  "application/x-msdownload",
  "application/vnd.microsoft.portable-executable",
  "application/x-elf",
  "application/x-executable",
  "application/x-mach-binary",
  "application/x-sharedlib",
  "application/x-msi",
  "application/x-ms-shortcut",
]);
const BLOCKED_EXTENSIONS = /\.(exe|com|scr|bat|cmd|msi|dll|vbs|js|jse|wsf|ps1|lnk|cpl|jar|app)$/i;

/** Types a browser may show inline; everything else downloads as a file. */
export const INLINE_TYPES = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "application/pdf",
  "text/plain",
]);

const SNIFF_BYTES = 4100;

export const createFileTooLargeError = (max: number) =>
  new AppError("uploads.too_large", 413, `The file is larger than ${Math.floor(max / 1024 / 1024)} MB`, {
    max_bytes: max,
  });
const createTypeNotAllowedError = (type: string) =>
  new AppError("uploads.type_not_allowed", 415, "Executable files are not accepted", { content_type: type });

/**
 * Characters a file name never keeps: C0 and C1 controls (NUL included), format characters
 * (bidi overrides and isolates U+202A–U+202E and U+2066–U+2069, marks U+200E/U+200F and U+061C,
 * zero-width U+200B–U+200D, U+2060, U+FEFF, soft hyphen), line and paragraph separators, unpaired
 * surrogates, and the quote.
 */
const UNSAFE_NAME_CHARS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}"]/gu;

/**
 * Cleans a client-supplied file name: no path, none of UNSAFE_NAME_CHARS (they are removed, so
 * "invoice\u202Efdp.exe" is stored, shown and checked as "invoicefdp.exe"), no trailing dots or
 * spaces (Windows drops them), bounded length. The same name is what the upload answers, what is
 * stored and what the download's Content-Disposition carries.
 */
export function sanitizeFilename(name: string | undefined): string {
  const base = path
    .basename((name ?? "").replace(/\\/g, "/"))
    .replace(UNSAFE_NAME_CHARS, "")
    .trim()
    .replace(/[. ]+$/, "");
  // Cut by code points so a pair is never split into a lone surrogate.
  return Array.from(base || "file")
    .slice(0, 200)
    .join("");
}

/** No NUL and no C0 control characters other than tab, newline, carriage return, form feed, escape. */
const looksLikeText = (head: Buffer) =>
  head.every((b) => b >= 0x20 || b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d || b === 0x1b);

/** A file received into storage, not yet recorded: a row is written with the item it belongs to. */
export type TReceivedFile = {
  id: string;
  storageKey: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
};

/** What a file stream needs from the multipart reader: abort when the upload cannot finish, progress. */
export type TUploadWatch = { signal: AbortSignal; touch(): void; rest(): void };

/**
 * The type a file is stored and served as, from its first bytes rather than from what the
 * sender declared; markup is kept as plain text. Executables (by name or by content) are
 * refused with `uploads.type_not_allowed`.
 */
async function decideContentType(head: Buffer, declaredType: string | undefined, filename: string) {
  const sniffed = await fileTypeFromBuffer(head);
  const declared = (declaredType || "application/octet-stream").toLowerCase().split(";")[0]!.trim();
  if (BLOCKED_EXTENSIONS.test(filename)) throw createTypeNotAllowedError(declared);
  let contentType: string;
  if (sniffed) contentType = sniffed.mime;
  else if (looksLikeText(head))
    contentType =
      declared.startsWith("text/") || declared === "application/json" || declared === "text/csv"
        ? declared
        : "text/plain";
  else contentType = "application/octet-stream";
  // HTML and SVG can carry scripts: keep the bytes, but never serve them as markup.
  if (/html|svg|xml|javascript/.test(contentType)) contentType = "text/plain";
  // A declared type is sender text: keep only a plain type/subtype.
  if (!/^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/.test(contentType))
    contentType = "application/octet-stream";
  if (BLOCKED_TYPES.has(contentType)) throw createTypeNotAllowedError(contentType);
  return contentType;
}

/**
 * Moves a file a channel brought in (an e-mail attachment, a Telegram document) into storage
 * with the same checks as an upload: size limit, type from the bytes, no executables (each a
 * coded AppError the caller may record instead). Nothing is written to the database.
 */
export async function receiveFileBytes(
  ctx: Pick<AppContext, "storage">,
  bytes: Buffer,
  file: { filename: string | undefined; contentType?: string },
): Promise<TReceivedFile> {
  const filename = sanitizeFilename(file.filename);
  if (bytes.length > LIMITS.uploadMaxBytes) throw createFileTooLargeError(LIMITS.uploadMaxBytes);
  const contentType = await decideContentType(bytes.subarray(0, SNIFF_BYTES), file.contentType, filename);
  return storeReceivedBytes(ctx, bytes, filename, contentType);
}

/**
 * Stores bytes as they are, under the given name and type (the original of an inbound e-mail,
 * kept for the record as `message/rfc822`). Nothing is written to the database.
 */
export async function storeReceivedBytes(
  ctx: Pick<AppContext, "storage">,
  bytes: Buffer,
  filename: string,
  contentType: string,
): Promise<TReceivedFile> {
  const id = randomUUID();
  const storageKey = `${id.slice(0, 2)}/${id}`;
  const temp = path.join(ctx.storage.tempDir, `${id}.part`);
  await writeFile(temp, bytes);
  try {
    await ctx.storage.putFile(storageKey, temp);
  } finally {
    await rm(temp, { force: true });
  }
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  return { id, storageKey, filename, contentType, size: bytes.length, sha256 };
}

/**
 * Streams one uploaded file to disk (hashing it and enforcing the size limit), decides its real
 * type from its bytes, refuses executables, and moves it into storage. Nothing is written to the
 * database (see insertAttachmentRows); on any failure no file is left behind, temporary or stored.
 */
export async function receiveUploadedFile(
  ctx: AppContext,
  part: MultipartFile,
  watch: TUploadWatch,
): Promise<TReceivedFile> {
  const filename = sanitizeFilename(part.filename);
  const tempPath = path.join(ctx.storage.tempDir, randomUUID());
  const hash = createHash("sha256");
  let size = 0;
  const head: Buffer[] = [];
  let headLength = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      watch.touch();
      hash.update(chunk);
      size += chunk.length;
      if (headLength < SNIFF_BYTES) {
        head.push(chunk.subarray(0, SNIFF_BYTES - headLength));
        headLength += Math.min(chunk.length, SNIFF_BYTES - headLength);
      }
      done(null, chunk);
    },
  });
  try {
    try {
      await pipeline(part.file, tap, createWriteStream(tempPath), { signal: watch.signal });
    } catch (error) {
      throw toUploadError(error, watch.signal);
    }
    // The bytes are in; what follows is the server's work, not the client's.
    watch.rest();
    if (part.file.truncated) throw createFileTooLargeError(LIMITS.uploadMaxBytes);
    const contentType = await decideContentType(Buffer.concat(head), part.mimetype, filename);
    const id = randomUUID();
    const storageKey = `${id.slice(0, 2)}/${id}`;
    await ctx.storage.putFile(storageKey, tempPath);
    return { id, storageKey, filename, contentType, size, sha256: hash.digest("hex") };
  } finally {
    await rm(tempPath, { force: true });
  }
}

/** Records received files as unattached uploads of the actor (in the caller's transaction). */
export async function insertAttachmentRows(db: DbOrTx, actor: TActor, files: TReceivedFile[]) {
  if (files.length === 0) return [];
  return db
    .insert(attachments)
    .values(
      files.map((f) => ({
        id: f.id,
        uploaderId: actor.id,
        filename: f.filename,
        contentType: f.contentType,
        size: f.size,
        sha256: f.sha256,
        storageKey: f.storageKey,
      })),
    )
    .returning();
}

/** Removes received files whose request failed (they have no row). */
export async function discardReceivedFiles(ctx: Pick<AppContext, "storage">, files: TReceivedFile[]) {
  for (const f of files) await ctx.storage.remove(f.storageKey).catch(() => {});
}

/** The attachment if the actor may download it; otherwise (or when there is none) `attachments.not_found`. */
export async function findDownloadableAttachment(
  db: DbOrTx,
  actor: TActor,
  id: string,
): Promise<TAttachmentRow> {
  const a = await findAttachmentById(db, id);
  if (!a) throw createAttachmentNotFoundError();
  const ticket = a.ticketId === null ? undefined : await findTicketRow(db, a.ticketId);
  // Staff see notes anyway: only a requester's download needs to know whether the message is one.
  const isOnInternalNote =
    a.messageId !== null &&
    !canSeeInternalNotes(actor) &&
    ((await findMessageIsInternal(db, a.messageId)) ?? false);
  const allowed = canDownloadAttachment(actor, {
    ticketId: a.ticketId,
    uploaderId: a.uploaderId,
    canViewTicket:
      ticket !== undefined &&
      canViewTicket(actor, {
        requesterId: ticket.requester_id,
        assigneeId: ticket.assignee_id,
        queueId: ticket.queue_id,
        status: ticket.status,
      }),
    isOnInternalNote,
  });
  if (!allowed) throw createAttachmentNotFoundError();
  return a;
}
