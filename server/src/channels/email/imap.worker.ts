import { eq } from "drizzle-orm";
import { ImapFlow } from "imapflow";
import type { AppContext } from "../../app-context.js";
import { EMAIL_QUEUE_SLUG } from "../../modules/catalog/catalog.seed.js";
import { decryptSecret, encryptSecret } from "../../platform/crypto.js";
import { inboundEmails, mailboxes, queues } from "../../platform/db/schema/index.js";
import { isDatabaseUnavailableError } from "../../platform/db-availability-errors.js";
import { ingestRawEmail, MAX_RAW_EMAIL_BYTES } from "./email.inbound.js";
import { resolveTransport } from "./email.mailer.js";

type TMailboxRow = typeof mailboxes.$inferSelect;
type TWorkerCtx = Pick<AppContext, "db" | "bus" | "storage" | "logger" | "config" | "settings" | "catalog">;

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
  const [queue] = await ctx.db
    .select({ id: queues.id })
    .from(queues)
    .where(eq(queues.slug, EMAIL_QUEUE_SLUG));
  if (!queue) return;
  const values = {
    name: `${m.username}@${m.host} (IMAP_URL)`,
    host: m.host,
    port: m.port,
    tls: m.tls,
    username: m.username,
    passwordEnc: encryptSecret(ctx.config.appSecret, m.password),
    folder: m.folder,
    isEnabled: true,
  };
  const [existing] = await ctx.db.select().from(mailboxes).where(eq(mailboxes.source, "env"));
  if (!existing) {
    await ctx.db
      .insert(mailboxes)
      .values({ ...values, source: "env", queueId: queue.id })
      .onConflictDoNothing();
    return;
  }
  const changed =
    existing.host !== m.host ||
    existing.port !== m.port ||
    existing.tls !== m.tls ||
    existing.username !== m.username ||
    existing.folder !== m.folder ||
    decryptSecretSafe(ctx.config.appSecret, existing.passwordEnc) !== m.password;
  if (changed)
    await ctx.db
      .update(mailboxes)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(mailboxes.id, existing.id));
}

const decryptSecretSafe = (secret: string, sealed: string) => {
  try {
    return decryptSecret(secret, sealed);
  } catch {
    return null;
  }
};

/** Opens an IMAP connection for a mailbox (not yet connected). */
export function createImapClient(config: AppContext["config"], m: TMailboxRow): ImapFlow {
  return new ImapFlow({
    host: m.host,
    port: m.port,
    secure: m.tls,
    auth: { user: m.username, pass: decryptSecret(config.appSecret, m.passwordEnc) },
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
export async function testMailboxConnection(config: AppContext["config"], m: TMailboxRow) {
  const client = createImapClient(config, m);
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

  constructor(
    private readonly ctx: TWorkerCtx,
    public mailbox: TMailboxRow,
    private readonly opts: { pollMs: number; hooks?: TMailboxHooks; ownAddresses: string[] },
  ) {}

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
      const client = createImapClient(this.ctx.config, this.mailbox);
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
        await client.mailboxOpen(this.mailbox.folder);
        while (!this.stopped && !closed) {
          await this.fetchNew(client);
          await this.ctx.db
            .update(mailboxes)
            .set({ lastFetchAt: new Date(), lastError: null })
            .where(eq(mailboxes.id, this.mailbox.id));
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
          await this.ctx.db
            .update(mailboxes)
            .set({ lastError: message, lastErrorAt: new Date() })
            .where(eq(mailboxes.id, this.mailbox.id))
            .catch(() => {});
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
    if (this.mailbox.uidValidity !== uidValidity) {
      // A new UIDVALIDITY renumbers the folder: start over (Message-IDs still prevent duplicates).
      await this.ctx.db
        .update(mailboxes)
        .set({ uidValidity, lastUid: 0 })
        .where(eq(mailboxes.id, this.mailbox.id));
      this.mailbox = { ...this.mailbox, uidValidity, lastUid: 0 };
    }
    // SEARCH (not the cached EXISTS count) decides: it sees mail even when IDLE is not running.
    const found = await client.search(
      { or: [{ seen: false }, { uid: `${this.mailbox.lastUid + 1}:*` }] },
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
      if (m.uid <= this.mailbox.lastUid && m.flags?.has("\\Seen")) continue;
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
    return this.ctx.db
      .insert(inboundEmails)
      .values({
        mailboxId: this.mailbox.id,
        uidValidity,
        uid,
        messageId: null,
        status: "rejected",
        reason,
        size: Math.min(size, 2 ** 31 - 1),
      })
      .onConflictDoNothing();
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
    const maxUid = Math.max(...done, this.mailbox.lastUid);
    if (maxUid > this.mailbox.lastUid) {
      await this.ctx.db.update(mailboxes).set({ lastUid: maxUid }).where(eq(mailboxes.id, this.mailbox.id));
      this.mailbox = { ...this.mailbox, lastUid: maxUid };
    }
  }

  private async markSeen(client: ImapFlow, uids: number[]) {
    // Only after the mail is stored: a crash before this means "fetch again", and the
    // inbound_emails record makes the second time a no-op.
    await client.messageFlagsAdd(uids.join(","), ["\\Seen"], { uid: true });
  }
}

/**
 * Runs a MailboxRunner per enabled mailbox, in parallel, and follows admin changes (re-reads
 * the mailboxes table every `reloadMs`).
 */
export function startImapWorker(
  ctx: TWorkerCtx,
  opts: { pollMs?: number; reloadMs?: number; hooks?: TMailboxHooks } = {},
) {
  const runners = new Map<number, MailboxRunner>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const reload = async () => {
    try {
      const rows = await ctx.db.select().from(mailboxes);
      const { from } = await resolveTransport(ctx);
      const own = /<?([^<>\s]+@[^<>\s]+)>?\s*$/.exec(from)?.[1]?.toLowerCase();
      for (const m of rows) {
        const current = runners.get(m.id);
        const changed = current && current.mailbox.updatedAt.getTime() !== m.updatedAt.getTime();
        if (current && (!m.isEnabled || changed)) {
          runners.delete(m.id);
          await current.stop();
        }
        if (m.isEnabled && (!current || changed) && !stopped) {
          runners.set(
            m.id,
            new MailboxRunner(ctx, m, {
              pollMs: opts.pollMs ?? 30_000,
              hooks: opts.hooks,
              ownAddresses: own ? [own] : [],
            }).start(),
          );
        }
      }
      for (const [id, r] of runners) {
        if (!rows.some((m) => m.id === id)) {
          runners.delete(id);
          await r.stop();
        }
      }
    } catch (error) {
      ctx.logger.error({ err: error }, "could not load mailboxes");
    }
    if (!stopped) timer = setTimeout(() => void reload(), opts.reloadMs ?? 30_000);
  };
  const ready = reload();
  return {
    ready,
    runners,
    /** Re-reads mailboxes now. */
    reload: async () => {
      clearTimeout(timer);
      await reload();
    },
    kickAll() {
      for (const r of runners.values()) r.kick();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await ready;
      await Promise.all([...runners.values()].map((r) => r.stop()));
      runners.clear();
    },
  };
}
export type ImapWorker = ReturnType<typeof startImapWorker>;
