import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { ImapFlow } from "imapflow";

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

const idOf = (flag: "-u" | "-g", name: string) => Number(execFileSync("id", [flag, name]).toString().trim());
const DOVECOT_BIN = ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"].find((p) => existsSync(p)) ?? "dovecot";

export type TDovecot = {
  host: string;
  port: number;
  user: string;
  pass: string;
  /** imap://user:pass@127.0.0.1:port/INBOX */
  url: string;
  /** Delivers a message by IMAP APPEND; returns its UID. */
  append(raw: string | Buffer, flags?: string[]): Promise<number>;
  /** Flags of every message in INBOX by UID. */
  flags(): Promise<Map<number, Set<string>>>;
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
};

/**
 * A private Dovecot (Debian's dovecot-imapd) on 127.0.0.1 and a free port, with its own
 * config, state and Maildir in a temp dir and one test user. Runs as the current user; under
 * root, Dovecot refuses root for login and mail processes, so it uses the package's
 * `dovecot`/`dovenull` users.
 */
export async function startDovecot(): Promise<TDovecot> {
  const dir = mkdtempSync(path.join(tmpdir(), "dovecot-test-"));
  chmodSync(dir, 0o755);
  const isRoot = process.getuid?.() === 0;
  const internalUser = isRoot ? "dovecot" : execFileSync("id", ["-un"]).toString().trim();
  const internalGroup = isRoot ? "dovecot" : execFileSync("id", ["-gn"]).toString().trim();
  const loginUser = isRoot ? "dovenull" : internalUser;
  const mailUid = isRoot ? idOf("-u", "dovecot") : (process.getuid?.() ?? 1000);
  const mailGid = isRoot ? idOf("-g", "dovecot") : (process.getgid?.() ?? 1000);
  for (const d of ["run", "state", "home", "Maildir"]) mkdirSync(path.join(dir, d));
  for (const d of ["home", "Maildir"]) chownSync(path.join(dir, d), mailUid, mailGid);
  const port = await freePort();
  const user = "support@example.com";
  const pass = "test-password";
  writeFileSync(path.join(dir, "passwd"), `${user}:{PLAIN}${pass}\n`);
  const conf = path.join(dir, "dovecot.conf");
  writeFileSync(
    conf,
    `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
info_log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = ${internalUser}
default_internal_group = ${internalGroup}
default_login_user = ${loginUser}
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:${dir}/Maildir
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${mailUid} gid=${mailGid} home=${dir}/home
}
`,
  );

  let child: ChildProcess | null = null;
  const waitForPort = async (open: boolean) => {
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, "127.0.0.1");
        s.once("connect", () => {
          s.destroy();
          resolve(true);
        });
        s.once("error", () => resolve(false));
      });
      if (ok === open) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(
      `dovecot port ${port} did not become ${open ? "open" : "closed"}; see ${dir}/dovecot.log`,
    );
  };
  const start = async () => {
    rmSync(path.join(dir, "run", "master.pid"), { force: true });
    child = spawn(DOVECOT_BIN, ["-F", "-c", conf], { stdio: "ignore" });
    await waitForPort(true);
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGTERM");
    await exited;
    await waitForPort(false);
  };
  const withClient = async <T>(fn: (c: ImapFlow) => Promise<T>): Promise<T> => {
    const c = new ImapFlow({ host: "127.0.0.1", port, secure: false, auth: { user, pass }, logger: false });
    c.on("error", () => {});
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.logout().catch(() => c.close());
    }
  };
  await start();
  return {
    host: "127.0.0.1",
    port,
    user,
    pass,
    url: `imap://${encodeURIComponent(user)}:${pass}@127.0.0.1:${port}/INBOX`,
    async append(raw, flags) {
      // Retried: a test may be restarting the server meanwhile.
      for (let attempt = 1; ; attempt++) {
        try {
          return await withClient(async (c) => {
            const r = await c.append("INBOX", raw, flags ?? []);
            return Number((r as { uid?: number } | false) && (r as { uid?: number }).uid);
          });
        } catch (error) {
          if (attempt >= 20) throw error;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    },
    flags: () =>
      withClient(async (c) => {
        // (no retry: callers poll)
        const lock = await c.getMailboxLock("INBOX");
        const out = new Map<number, Set<string>>();
        try {
          if (c.mailbox && c.mailbox.exists > 0) {
            for await (const m of c.fetch("1:*", { uid: true, flags: true }))
              out.set(m.uid, m.flags ?? new Set());
          }
        } finally {
          lock.release();
        }
        return out;
      }),
    start,
    stop,
    async restart() {
      await stop();
      await start();
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
