import { isStorableText } from "@helpdesk/contracts";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestRawEmail } from "../../src/channels/email/email.inbound.js";
import { sanitizeFilename } from "../../src/modules/attachments/attachments.usecases.js";
import { attachments, inboundItems } from "../../src/platform/db/schema/index.js";
import { startTestServer, type TTestServer } from "../helpers.js";
import { multipartBody } from "./fuzz-corpus.js";

let s: TTestServer;
let admin: Awaited<ReturnType<TTestServer["actor"]>>;
beforeAll(async () => {
  s = await startTestServer();
  admin = await s.actor("admin");
});
afterAll(async () => {
  await s?.close();
});

/** Uploads one file whose name is sent as UTF-8 bytes, as browsers do. */
const upload = (filename: string, content = "hello") =>
  s.inject({
    method: "POST",
    url: "/api/upload/",
    headers: { ...admin.headers, "content-type": "multipart/form-data; boundary=names" },
    payload: multipartBody("names", [{ name: "file", filename, type: "text/plain", value: content }]),
  });

describe("#attachments file names", () => {
  it("strips control, bidi and zero-width characters, and the answer, the row and the download agree", async () => {
    const res = await upload("re\u200bpo\u202Ert\u2066\u0085.txt");
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().filename).toBe("report.txt");
    const [row] = await s.ctx.db.select().from(attachments).where(eq(attachments.id, res.json().id));
    expect(row!.filename).toBe("report.txt");
    const download = await s.inject({
      method: "GET",
      url: `/api/attachments/${row!.id}/`,
      headers: admin.headers,
    });
    expect(download.statusCode).toBe(200);
    expect(download.headers["content-disposition"]).toBe(
      `inline; filename="report.txt"; filename*=UTF-8''report.txt`,
    );
  });

  it("checks the cleaned name: an RTL-disguised or dot-padded executable is refused with 415", async () => {
    for (const name of ["invoice\u202Efdp.exe", "setup.exe.", "setup.exe  ", "run.\u200bbat"]) {
      const res = await upload(name);
      expect(res.statusCode, name).toBe(415);
      expect(res.json().error.code, name).toBe("uploads.type_not_allowed");
    }
  });

  it("keeps readable names as they are", async () => {
    for (const name of ["Отчёт за март.pdf", "日本語.txt", "emoji 🎉.txt", "a-b_c (1).tar.gz"]) {
      const res = await upload(name);
      expect(res.statusCode, name).toBe(201);
      expect(res.json().filename, name).toBe(name);
    }
  });

  it("never leaves a name empty, a lone surrogate, or longer than 200 characters", () => {
    expect(sanitizeFilename("\u202E\u200B")).toBe("file");
    expect(sanitizeFilename("x\ud800y.txt")).toBe("xy.txt");
    expect(sanitizeFilename("../../etc/passwd")).toBe("passwd");
    expect(sanitizeFilename("C:\\Users\\a\\evil.txt")).toBe("evil.txt");
    const long = sanitizeFilename(`${"🎉".repeat(300)}.txt`);
    expect(Array.from(long)).toHaveLength(200);
    expect(isStorableText(long)).toBe(true);
  });

  it("cleans the names of inbound e-mail attachments the same way", async () => {
    const mailbox = await s.inject({
      method: "POST",
      url: "/api/admin/email/mailboxes/",
      headers: admin.headers,
      payload: { name: "Names", host: "127.0.0.1", port: 9, username: "u", password: "p" },
    });
    expect(mailbox.statusCode).toBe(201);
    const raw = Buffer.from(
      [
        "From: Anna <anna@example.org>",
        "To: support@example.com",
        "Subject: Files with odd names",
        "Message-ID: <names-1@example.org>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="B"',
        "",
        "--B",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Two files.",
        "--B",
        "Content-Type: text/plain",
        "Content-Disposition: attachment; filename*=UTF-8''re%E2%80%8Bpo%E2%80%AErt.txt",
        "",
        "hello",
        "--B",
        "Content-Type: application/octet-stream",
        "Content-Disposition: attachment; filename*=UTF-8''invoice%E2%80%AEfdp.exe",
        "Content-Transfer-Encoding: base64",
        "",
        "TVqQAGZha2U=",
        "--B--",
        "",
      ].join("\r\n"),
    );
    const target = { mailboxId: mailbox.json().id, queueId: mailbox.json().queue_id, uidValidity: 1, uid: 1 };
    expect((await ingestRawEmail(s.ctx, target, raw)).status).toBe("ticket");
    const [row] = await s.ctx.db
      .select()
      .from(inboundItems)
      .where(eq(inboundItems.externalId, "<names-1@example.org>"));
    expect(row!.rejectedFiles).toMatchObject([{ filename: "invoicefdp.exe" }]);
    const files = await s.ctx.db.select().from(attachments).where(eq(attachments.ticketId, row!.ticketId!));
    expect(files.map((f) => f.filename).sort()).toEqual(["original-1.eml", "report.txt"]);
  });
});
