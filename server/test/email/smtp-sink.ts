import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

export type TSunkMail = {
  raw: string;
  parsed: ParsedMail;
  to: string[];
  header(name: string): string | undefined;
};

/** An in-process SMTP server that keeps every mail it receives (tests assert on them). */
export async function startSmtpSink(
  options: {
    rejectNext?: number;
    refuseRecipients?: RegExp;
    /** Accepts AUTH with exactly these credentials (without TLS: it is a test on 127.0.0.1). */
    login?: { user: string; pass: string };
  } = {},
) {
  const mails: TSunkMail[] = [];
  let rejectNext = options.rejectNext ?? 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    // Stopped, it drops the clients' open (pooled) connections at once, as a real server does.
    closeTimeout: 100,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      const ok =
        options.login && auth.username === options.login.user && auth.password === options.login.pass;
      return ok ? callback(null, { user: auth.username }) : callback(new Error("535 Invalid credentials"));
    },
    onRcptTo(address, _session, callback) {
      if (!options.refuseRecipients?.test(address.address)) return callback();
      const err = new Error("550 No such user here") as Error & { responseCode: number };
      err.responseCode = 550;
      return callback(err);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", async () => {
        if (rejectNext > 0) {
          rejectNext -= 1;
          const err = new Error("451 Try again later") as Error & { responseCode: number };
          err.responseCode = 451;
          return callback(err);
        }
        const raw = Buffer.concat(chunks).toString("utf8");
        const parsed = await simpleParser(raw);
        const lines = parsed.headerLines;
        mails.push({
          raw,
          parsed,
          to: session.envelope.rcptTo.map((r) => r.address),
          header: (name) => {
            const h = lines.find((l) => l.key === name.toLowerCase());
            return h
              ? h.line
                  .slice(h.line.indexOf(":") + 1)
                  .replace(/\r?\n[ \t]+/g, " ")
                  .trim()
              : undefined;
          },
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    mails,
    rejectNextMails(n: number) {
      rejectNext = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
