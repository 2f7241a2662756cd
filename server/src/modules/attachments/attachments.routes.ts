import { LIMITS, ZFileDownload, ZUploadedAttachment } from "@helpdesk/contracts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../app-context.js";
import { presentAttachment } from "../tickets/tickets.presenter.js";
import { createNoFileError } from "./attachments.errors.js";
import { openMultipartReader } from "./attachments.multipart.js";
import {
  discardReceivedFiles,
  findDownloadableAttachment,
  INLINE_TYPES,
  insertAttachmentRows,
  receiveUploadedFile,
  sanitizeFilename,
  type TReceivedFile,
} from "./attachments.usecases.js";

/** `POST /api/upload/` (seed S3) and downloads that check the ticket's visibility. */
export async function registerAttachmentRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { db, auth } = ctx;

  app.post(
    "/api/upload",
    {
      schema: {
        tags: ["attachments"],
        summary: "Upload one file (multipart field `file`); attach it by id to a ticket or message",
        consumes: ["multipart/form-data"],
        response: { 201: ZUploadedAttachment },
      },
    },
    async (req, reply) => {
      const actor = await auth.require(req);
      const reader = openMultipartReader(req, reply, {
        stallMs: ctx.config.timeouts.uploadStallMs,
        limits: { files: 1, fileSize: LIMITS.uploadMaxBytes },
      });
      let file: TReceivedFile | undefined;
      try {
        // Other fields are ignored; the whole body is read so that a cut-off body is noticed.
        for await (const part of reader.parts()) {
          if (part.type === "file") file = await receiveUploadedFile(ctx, part, reader);
          reader.rest();
        }
      } catch (error) {
        if (file) await discardReceivedFiles(ctx, [file]);
        throw error;
      } finally {
        reader.close();
      }
      if (!file) throw createNoFileError();
      const received = file;
      const [row] = await insertAttachmentRows(db, actor, [received]).catch(async (error: unknown) => {
        await discardReceivedFiles(ctx, [received]);
        throw error;
      });
      return reply.status(201).send(presentAttachment(row!));
    },
  );

  app.get(
    "/api/attachments/:id",
    {
      schema: {
        tags: ["attachments"],
        summary: "Download (404 when the reader may not see the file's ticket or note)",
        params: z.strictObject({ id: z.uuid() }),
        response: { 200: ZFileDownload },
      },
    },
    async (req, reply) => {
      const actor = await auth.require(req);
      const a = await findDownloadableAttachment(db, actor, req.params.id);
      const inline = INLINE_TYPES.has(a.contentType);
      // Names are cleaned on the way in; cleaning again keeps rows stored before that in line.
      const filename = sanitizeFilename(a.filename);
      const encoded = encodeURIComponent(filename);
      reply
        .header("Content-Type", a.contentType === "text/plain" ? "text/plain; charset=utf-8" : a.contentType)
        .header("Content-Length", a.size)
        .header("X-Content-Type-Options", "nosniff")
        .header("Content-Security-Policy", "sandbox; default-src 'none'")
        .header("Cache-Control", "private, max-age=3600")
        .header(
          "Content-Disposition",
          `${inline ? "inline" : "attachment"}; filename="${filename.replace(/[^\x20-\x7e]/g, "_")}"; filename*=UTF-8''${encoded}`,
        );
      return reply.send(ctx.storage.read(a.storageKey));
    },
  );
}
