import { ImapFlow } from "imapflow";
import type { AppContext } from "../../app-context.js";
import { EMAIL_QUEUE_SLUG } from "../../modules/catalog/catalog.seed.js";
import { recordInbound } from "../../modules/conversations/conversations.inbound.js";
import { decryptSecret, encryptSecret } from "../../platform/crypto.js";
import { isDatabaseUnavailableError } from "../../platform/db-availability-errors.js";
import type { TChannelAccount, TReceiverControl } from "../channel-driver.js";
import {
  EMAIL_CHANNEL,
  findEnvMailbox,
  insertMailbox,
  type TImapAccountConfig,
  type TImapCursor,
  type TMailboxRow,
  updateMailbox,
  ZImapCursor,
} from "./email.accounts.js";
import { ingestRawEmail, MAX_RAW_EMAIL_BYTES } from "./email.inbound.js";
import { resolveTransport } from "./email.mailer.js";
import { findQueueIdBySlug } from "./email.repository.js";

type TWorkerCtx = Parameters<typeof ingestRawEmail>[0];
/** What an IMAP connection needs: the account's config with the password open. */
export type TImapConnection = Pick<
  TImapAccountConfig,
  "host" | "port" | "tls" | "username" | "password" | "folder"
>;

/** Parses IMAP_URL (`imaps://user:pass@host:993/INBOX`). */
export function parseImapUrl(url: string) {
  const u = new URL(url);
  const tls = u.protocol === "imaps:";
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : tls ? 993 : 143,
    tls,
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    folder: decodeURIComponent(u.pathname.replace(/^\//, "")) || "INBOX",
  };
}

/** Mirrors IMAP_URL into the one `source = 'env'` mailbox, mapped to the "From e-mail" queue. */
export async function ensureEnvMailbox(ctx: Pick<AppContext, "db" | "config">) {
  if (!ctx.config.imapUrl) return;
  const m = parseImapUrl(ctx.config.imapUrl);
  const queueId = await findQueueIdBySlug(ctx.db, EMAIL_QUEUE_SLUG);
  if (!queueId) return;
  const config = {
    source: "env" as const,
    host: m.host,
    port: m.port,
    tls: m.tls,
    username: m.username,
    password: encryptSecret(ctx.config.appSecret, m.password),
    folder: m.folder,
  };
  const name = `${m.username}@${m.host} (IMAP_URL)`;
  const existing = await findEnvMailbox(ctx.db);
  if (!existing) {
    // Two processes starting at once make one: the second insert finds the unique key taken.
    await insertMailbox(ctx.db, { name, config, queueId, isEnabled: true });
    return;
  }
  const changed =
    existing.host !== m.host ||
    existing.port !== m.port ||
    existing.tls !== m.tls ||
    existing.username !== m.username ||
    existing.folder !== m.folder ||
    decryptSecretSafe(ctx.config.appSecret, existing.passwordEnc) !== m.password;
  if (changed) await updateMailbox(ctx.db, existing.id, { name, config, isEnabled: true });
}

const decryptSecretSafe = (secret: string, sealed: string) => {
  try {
    return decryptSecret(secret, sealed);
  } catch {
    return null;
  }
};

/** A stored mailbox's connection settings, the password opened. */
export const openMailboxConfig = (appSecret: string, m: TMailboxRow): TImapConnection => ({
  ...m,
  password: decryptSecret(appSecret, m.passwordEnc),
});

/** Opens an IMAP connection for a mailbox (not yet connected). */
export function createImapClient(m: TImapConnection): ImapFlow {
  return new ImapFlow({
    host: m.host,
    port: m.port,
    secure: m.tls,
    auth: { user: m.username, pass: m.password },
    logger: false,
    // A dead peer must not hang the reader forever.
    socketTimeout: 5 * 60_000,
    connectionTimeout: 20_000,
    greetingTimeout: 20_000,
    // Re-enter IDLE every few minutes: some servers drop silent IDLE sessions.
    maxIdleTime: 4 * 60_000,
  });
}

/** Connects, logs in and opens the folder: the admin's "test connection". */
export async function testMailboxConnection(m: TImapConnection) {
  const client = createImapClient(m);
  client.on("error", () => {});
  try {
    await client.connect();
    const box = await client.mailboxOpen(m.folder, { readOnly: true });
    return {
      ok: true as const,
      uid_validity: Number(box.uidValidity),
      messages: box.exists,
      idle: client.capabilities.has("IDLE"),
    };
  } catch (error) {
    return { ok: false as const, error: describeImapError(error) };
  } finally {
    await client.logout().catch(() => client.close());
  }
}

const describeImapError = (error: unknown): string => {
  if (error instanceof Error) {
    const e = error as Error & { responseText?: string; code?: string };
    return [e.message, e.responseText, e.code].filter(Boolean).join(": ").slice(0, 500);
  }
  return String(error).slice(0, 500);
};

const INGEST_CONCURRENCY = 4;

/** Whether a mail's headers could thread it into an existing ticket. */
function mayJoinThread(raw: Buffer): boolean {
  const end = raw.indexOf("\r\n\r\n");
  const head = raw.subarray(0, end > 0 ? end : Math.min(raw.length, 64 * 1024)).toString("latin1");
  return /^(in-reply-to|references):/im.test(head) || /\[#\d+\]/.test(head);
}

export type TMailboxHooks = {
  /** Called before a mail is stored (tests simulate a database outage here). */
  beforeStore?: (uid: number, runner: MailboxRunner) => void | Promise<void>;
  /** Called after a mail is stored and before it is marked \Seen (tests break things here). */
  afterStore?: (uid: number, runner: MailboxRunner) => void | Promise<void>;
};

const sleep = (ms: number, signal?: { cancelled: boolean; wake?: () => void }) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    if (signal) {
      signal.wake = () => {
        clearTimeout(t);
        resolve();
      };
    }
  });

/**
 * Reads one mailbox for as long as it runs: connect, open the folder, fetch what is new, then
 * wait for IDLE's EXISTS push or the poll interval (30 s; the only trigger when the server
 * lacks IDLE). Any connection failure closes the client and reconnects with backoff (1 s
 * doubling to 60 s, reset by a complete pass). One mail's failure is recorded and skipped; it
 * never stops the mailbox. A database outage is nobody's mail's fault: the mailbox stops,
 * backs off and fetches the same mails again once the database answers.
 */
export class MailboxRunner {
  client: ImapFlow | null = null;
  private stopped = false;
  private waiter: { cancelled: boolean; wake?: () => void } = { cancelled: false };
  private failures = new Map<number, number>();
  private loop: Promise<void> | null = null;
  /** Counters for tests and the bench. */
  stats = { stored: 0, duplicates: 0, ignored: 0, rejected: 0, connects: 0, errors: 0 };

  /** Where the reader is in the folder (saved through the runtime after every batch). */
  cursor: TImapCursor;
  private hadError = false;

  constructor(
    private readonly ctx: TWorkerCtx,
    public readonly mailbox: TChannelAccount<TImapConnection>,
    private readonly control: Pick<TReceiverControl, "touch" | "saveCursor" | "reportError">,
    private readonly opts: { pollMs: number; hooks?: TMailboxHooks; ownAddresses: string[] },
  ) {
    this.cursor = ZImapCursor.parse(mailbox.cursor);
  }

  start() {
    this.loop = this.run();
    return this;
  }

  /** Wakes the loop now (new mail expected). */
  kick() {
    this.waiter.wake?.();
  }

  /** Drops the connection without stopping (tests: a network failure). */
  dropConnection() {
    const socket = (this.client as unknown as { socket?: { destroy(): void } } | null)?.socket;
    socket?.destroy();
    this.client?.close();
  }

  async stop() {
    this.stopped = true;
    this.kick();
    this.client?.close();
    await this.loop?.catch(() => {});
  }

  private async run() {
    let backoff = 1000;
    while (!this.stopped) {
      const client = createImapClient(this.mailbox.config);
      this.client = client;
      let closed = false;
      client.on("error", (error: unknown) => {
        this.ctx.logger.warn({ mailboxId: this.mailbox.id, err: error }, "IMAP connection error");
      });
      client.on("close", () => {
        closed = true;
        this.kick();
      });
      client.on("exists", () => this.kick());
      try {
        await client.connect();
        this.stats.connects += 1;
        await client.mailboxOpen(this.mailbox.config.folder);
        while (!this.stopped && !closed) {
          await this.fetchNew(client);
          this.control.touch();
          if (this.hadError) {
            await this.control.reportError(null);
            this.hadError = false;
          }
          // Only a whole pass resets the backoff: while the database is down, connecting to
          // the mail server still works, and the retries must slow down all the same.
          backoff = 1000;
          if (this.stopped || closed) break;
          await sleep(this.opts.pollMs, this.waiter);
        }
      } catch (error) {
        this.stats.errors += 1;
        if (!this.stopped && isDatabaseUnavailableError(error)) {
          this.ctx.logger.warn(
            { mailboxId: this.mailbox.id, err: error, retryInMs: backoff },
            "IMAP mailbox paused: the database is unavailable",
          );
        } else if (!this.stopped) {
          const message = describeImapError(error);
          this.ctx.logger.warn(
            { mailboxId: this.mailbox.id, err: message },
            "IMAP mailbox failed; reconnecting",
          );
          this.hadError = true;
          await this.control.reportError(message).catch(() => {});
        }
      } finally {
        if (!closed) await client.logout().catch(() => client.close());
        client.close();
      }
      if (this.stopped) break;
      await sleep(backoff, this.waiter);
      backoff = Math.min(backoff * 2, 60_000);
    }
  }

  /** Fetches every unseen mail and every mail above the last UID, oldest first, in batches. */
  private async fetchNew(client: ImapFlow) {
    const box = client.mailbox;
    if (!box) throw new Error("no mailbox open");
    const uidValidity = Number(box.uidValidity);
    if (this.cursor.uidValidity !== uidValidity) {
      // A new UIDVALIDITY renumbers the folder: start over (Message-IDs still prevent duplicates).
      this.cursor = { uidValidity, lastUid: 0 };
      await this.control.saveCursor(this.cursor);
    }
    // SEARCH (not the cached EXISTS count) decides: it sees mail even when IDLE is not running.
    const found = await client.search(
      { or: [{ seen: false }, { uid: `${this.cursor.lastUid + 1}:*` }] },
      { uid: true },
    );
    const uids = (found || []).filter((u) => u > 0).sort((a, b) => a - b);
    if (uids.length === 0) return;
    const sizes = new Map<number, number>();
    for await (const m of client.fetch(
      uids.join(","),
      { uid: true, size: true, flags: true },
      { uid: true },
    )) {
      // "N:*" always matches the newest mail; a seen one at or below the last UID is done.
      if (m.uid <= this.cursor.lastUid && m.flags?.has("\\Seen")) continue;
      sizes.set(m.uid, m.size ?? 0);
    }
    // Batches of up to 50 mails / 20 MB per FETCH keep memory bounded and round trips few.
    let batch: number[] = [];
    let batchBytes = 0;
    const flush = async () => {
      if (batch.length > 0) await this.processBatch(client, uidValidity, batch);
      batch = [];
      batchBytes = 0;
    };
    for (const uid of uids) {
      const size = sizes.get(uid);
      if (size === undefined) continue;
      if (size > MAX_RAW_EMAIL_BYTES) {
        await flush();
        await this.rejectHuge(client, uidValidity, uid, size);
        continue;
      }
      if (batch.length >= 50 || batchBytes + size > 20 * 1024 * 1024) await flush();
      batch.push(uid);
      batchBytes += size;
    }
    await flush();
  }

  /** Records a mail of this mailbox as rejected without ingesting it (once: a repeat is ignored). */
  private recordRejected(uidValidity: number, uid: number, reason: string, size: number) {
    return recordInbound(this.ctx, {
      channel: EMAIL_CHANNEL,
      accountId: this.mailbox.id,
      externalId: null,
      deliveryKey: `${uidValidity}:${uid}`,
      status: "rejected",
      reason,
      size,
    });
  }

  private async rejectHuge(client: ImapFlow, uidValidity: number, uid: number, size: number) {
    await this.recordRejected(
      uidValidity,
      uid,
      `larger than ${MAX_RAW_EMAIL_BYTES} bytes (${size}); not downloaded`,
      size,
    );
    this.stats.rejected += 1;
    await this.markSeen(client, [uid]);
  }

  private async processBatch(client: ImapFlow, uidValidity: number, uids: number[]) {
    const sources = new Map<number, Buffer>();
    for await (const m of client.fetch(uids.join(","), { uid: true, source: true }, { uid: true })) {
      if (m.source) sources.set(m.uid, m.source);
    }
    const done: number[] = [];
    let outage: unknown;
    const ingestOne = async (uid: number, raw: Buffer) => {
      if (outage) return;
      try {
        await this.opts.hooks?.beforeStore?.(uid, this);
        const r = await ingestRawEmail(
          this.ctx,
          { mailboxId: this.mailbox.id, queueId: this.mailbox.queueId, uidValidity, uid },
          raw,
          { ownAddresses: this.opts.ownAddresses },
        );
        if (r.status === "ticket" || r.status === "reply") this.stats.stored += 1;
        else if (r.status === "duplicate") this.stats.duplicates += 1;
        else if (r.status === "ignored") this.stats.ignored += 1;
        else this.stats.rejected += 1;
        done.push(uid);
        this.failures.delete(uid);
        await this.opts.hooks?.afterStore?.(uid, this);
      } catch (error) {
        // The database is down: not this mail's fault, so it does not count as a try. The mailbox
        // stops here and reconnects with backoff; the mail stays unseen and comes again.
        if (isDatabaseUnavailableError(error)) {
          outage ??= error;
          return;
        }
        // Storage trouble or a bug: leave it unseen and retry; give up after 3 tries.
        const n = (this.failures.get(uid) ?? 0) + 1;
        this.failures.set(uid, n);
        this.ctx.logger.error(
          { mailboxId: this.mailbox.id, uid, attempt: n, err: error },
          "could not store inbound mail",
        );
        if (n >= 3) {
          await this.recordRejected(
            uidValidity,
            uid,
            `failed 3 times: ${describeImapError(error)}`,
            raw.length,
          ).catch(() => {});
          done.push(uid);
          this.failures.delete(uid);
        }
      }
    };
    // Up to 4 mails at once. A mail that may join an existing thread (In-Reply-To, References,
    // [#N]) waits for the ones before it, so a reply never overtakes its original.
    const inFlight = new Set<Promise<void>>();
    for (const uid of uids) {
      const raw = sources.get(uid);
      if (!raw) continue;
      if (mayJoinThread(raw)) await Promise.all(inFlight);
      while (inFlight.size >= INGEST_CONCURRENCY) await Promise.race(inFlight);
      const p: Promise<void> = ingestOne(uid, raw).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    if (done.length > 0) await this.markSeen(client, done);
    if (outage) throw outage;
    const maxUid = Math.max(...done, this.cursor.lastUid);
    if (maxUid > this.cursor.lastUid) {
      this.cursor = { uidValidity, lastUid: maxUid };
      await this.control.saveCursor(this.cursor);
    }
  }

  private async markSeen(client: ImapFlow, uids: number[]) {
    // Only after the mail is stored: a crash before this means "fetch again", and the
    // inbound_items record makes the second time a no-op.
    await client.messageFlagsAdd(uids.join(","), ["\\Seen"], { uid: true });
  }
}

/**
 * Reads one mailbox for as long as the channel runtime holds its lease: a MailboxRunner
 * until the signal aborts. `runners` shows what runs in this process (tests, the bench).
 */
export async function receiveMailbox(
  ctx: TWorkerCtx & Pick<AppContext, "config">,
  account: TChannelAccount<TImapConnection>,
  control: TReceiverControl,
  opts: { pollMs: number; hooks?: TMailboxHooks; runners?: Map<number, MailboxRunner> },
): Promise<void> {
  if (control.signal.aborted) return;
  const { from } = await resolveTransport(ctx);
  const own = /<?([^<>\s]+@[^<>\s]+)>?\s*$/.exec(from)?.[1]?.toLowerCase();
  const runner = new MailboxRunner(ctx, account, control, {
    pollMs: opts.pollMs,
    hooks: opts.hooks,
    ownAddresses: own ? [own] : [],
  }).start();
  opts.runners?.set(account.id, runner);
  try {
    await new Promise<void>((resolve) => {
      if (control.signal.aborted) resolve();
      control.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  } finally {
    if (opts.runners?.get(account.id) === runner) opts.runners.delete(account.id);
    await runner.stop();
  }
}
