import type { TMailbox, TMailboxTestResult, TSmtpSettings, TTestMailResult } from "@helpdesk/contracts";
import type { AppContext } from "../../app-context.js";
import type { TActor } from "../../modules/auth/auth.actor.js";
import { EMAIL_QUEUE_SLUG } from "../../modules/catalog/catalog.seed.js";
import { encryptSecret } from "../../platform/crypto.js";
import type { DbOrTx } from "../../platform/db/index.js";
import {
  deleteMailbox,
  findMailboxById,
  insertMailbox,
  recordMailboxCheck,
  type TMailboxRow,
  updateMailbox,
} from "./email.accounts.js";
import {
  createEnvMailboxError,
  createMailboxNotFoundError,
  createQueueRequiredError,
  createRecipientRefusedError,
  createSendFailedError,
  createSmtpStoppedError,
  createUnknownQueueError,
} from "./email.errors.js";
import { closeTransports, resolveTransport, SmtpSenderStoppedError, sendMail } from "./email.mailer.js";
import { canChangeMailbox, canDeleteMailbox } from "./email.policies.js";
import { presentMailbox } from "./email.presenter.js";
import { findQueueIdBySlug, queueExists } from "./email.repository.js";
import { renderTestEmail } from "./email.templates.js";
import { openMailboxConfig, testMailboxConnection } from "./imap.worker.js";
import { deleteSmtpAccount, findSmtpAccount, saveSmtpAccount } from "./smtp.account.js";

type TCtx = Pick<AppContext, "db" | "config">;

/** The SMTP sender's settings, where mail actually goes and which parts the environment fixes. */
export async function getSmtpSettings(ctx: TCtx): Promise<TSmtpSettings> {
  const account = await findSmtpAccount(ctx.db);
  const { transport, from, stopped } = await resolveTransport(ctx, { account });
  const c = account?.config;
  return {
    host: c?.host ?? "",
    port: c?.port ?? 587,
    secure: c?.secure ?? false,
    user: c?.user ?? "",
    has_password: Boolean(c?.password),
    from: c?.from ?? "",
    effective_from: from,
    delivery: stopped ? "stopped" : transport ? "smtp" : "outbox",
    account_id: account?.id ?? null,
    env_overrides: { smtp_url: Boolean(ctx.config.smtpUrl), mail_from: Boolean(ctx.config.mailFrom) },
  };
}

/**
 * Sets up, changes or (with an empty host) removes the SMTP sender, a channel account of kind
 * `smtp`. `password`: omitted keeps the stored one, null or "" clears it.
 */
export async function saveSmtpSettings(
  ctx: TCtx,
  b: { host: string; port: number; secure: boolean; user: string; from: string; password?: string | null },
): Promise<TSmtpSettings> {
  if (b.host === "") {
    await deleteSmtpAccount(ctx.db);
  } else {
    const current = await findSmtpAccount(ctx.db);
    await saveSmtpAccount(ctx.db, `SMTP ${b.host}`, {
      host: b.host,
      port: b.port,
      secure: b.secure,
      user: b.user,
      from: b.from,
      password:
        b.password === undefined
          ? (current?.config.password ?? "")
          : b.password === null || b.password === ""
            ? ""
            : encryptSecret(ctx.config.appSecret, b.password),
    });
  }
  // The connections kept open to the old server are of no use any more.
  closeTransports();
  return getSmtpSettings(ctx);
}

/** Sends the test mail in the admin's language. A refused address is a 400, any other failure a 502. */
export async function sendTestMail(
  ctx: Pick<AppContext, "db" | "config" | "settings" | "logger">,
  actor: TActor,
  to: string,
): Promise<TTestMailResult> {
  const mail = renderTestEmail(actor.language, (await ctx.settings.get()).organisation_name);
  try {
    const r = await sendMail(ctx, { to, ...mail, language: actor.language });
    return { ok: true, via: r.via, message_id: r.messageId ?? null };
  } catch (error) {
    if (error instanceof SmtpSenderStoppedError) throw createSmtpStoppedError();
    const e = error as { message?: string; code?: string; responseCode?: number };
    if (e.code === "EENVELOPE" && typeof e.responseCode === "number" && e.responseCode >= 500) {
      throw createRecipientRefusedError(e.message ?? "");
    }
    throw createSendFailedError(e.message ?? String(error));
  }
}

export async function getMailbox(db: DbOrTx, id: number): Promise<TMailboxRow> {
  const m = await findMailboxById(db, id);
  if (!m) throw createMailboxNotFoundError();
  return m;
}

async function assertQueue(db: DbOrTx, id: number) {
  if (!(await queueExists(db, id))) throw createUnknownQueueError();
}

type TMailboxInput = {
  name: string;
  host: string;
  port: number;
  tls: boolean;
  username: string;
  password: string;
  folder: string;
  queue_id?: number;
  is_enabled: boolean;
};

/** Adds an IMAP mailbox; its mail goes to the chosen queue, or to the e-mail queue. */
export async function createMailbox(ctx: TCtx, b: TMailboxInput): Promise<TMailbox> {
  let queueId = b.queue_id;
  if (queueId) await assertQueue(ctx.db, queueId);
  else queueId = await findQueueIdBySlug(ctx.db, EMAIL_QUEUE_SLUG);
  if (!queueId) throw createQueueRequiredError();
  const m = await insertMailbox(ctx.db, {
    name: b.name,
    config: {
      source: "admin",
      host: b.host,
      port: b.port,
      tls: b.tls,
      username: b.username,
      password: encryptSecret(ctx.config.appSecret, b.password),
      folder: b.folder,
    },
    queueId,
    isEnabled: b.is_enabled,
  });
  if (!m) throw createMailboxNotFoundError();
  return presentMailbox(m);
}

/** Changes a mailbox. One from IMAP_URL keeps what the environment sets. An empty PATCH writes nothing. */
export async function changeMailbox(ctx: TCtx, id: number, b: Partial<TMailboxInput>): Promise<TMailbox> {
  const m = await getMailbox(ctx.db, id);
  if (!canChangeMailbox(m, Object.keys(b))) throw createEnvMailboxError();
  if (b.queue_id) await assertQueue(ctx.db, b.queue_id);
  if (Object.values(b).every((v) => v === undefined)) return presentMailbox(m);
  const row = await updateMailbox(ctx.db, m.id, {
    name: b.name,
    config: {
      source: m.source,
      host: b.host ?? m.host,
      port: b.port ?? m.port,
      tls: b.tls ?? m.tls,
      username: b.username ?? m.username,
      password: b.password ? encryptSecret(ctx.config.appSecret, b.password) : m.passwordEnc,
      folder: b.folder ?? m.folder,
    },
    queueId: b.queue_id,
    isEnabled: b.is_enabled,
  });
  if (!row) throw createMailboxNotFoundError();
  return presentMailbox(row);
}

export async function removeMailbox(db: DbOrTx, id: number): Promise<void> {
  const m = await getMailbox(db, id);
  if (!canDeleteMailbox(m)) throw createEnvMailboxError();
  await deleteMailbox(db, m.id);
}

/** Tries the IMAP connection and records the outcome on the mailbox (the error, or none). */
export async function testMailbox(ctx: TCtx, id: number): Promise<TMailboxTestResult> {
  const m = await getMailbox(ctx.db, id);
  const result = await testMailboxConnection(openMailboxConfig(ctx.config.appSecret, m));
  await recordMailboxCheck(ctx.db, m.id, result.ok ? null : result.error);
  return result;
}
