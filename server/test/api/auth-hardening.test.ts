import { createHash } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "../../src/app.js";
import { startTestServer, type TTestServer } from "../helpers.js";

let s: TTestServer;
/** A second deployment: behind a proxy, with an extra trusted origin and a metrics token. */
let proxied: TTestServer;
beforeAll(async () => {
  [s, proxied] = await Promise.all([
    startTestServer({ env: { PUBLIC_URL: "https://desk.example.com" } }),
    startTestServer({
      env: {
        PUBLIC_URL: "https://desk.example.com",
        TRUST_PROXY: "true",
        TRUSTED_ORIGINS: "https://support.example.org",
        METRICS_TOKEN: "metrics-token-0123456789",
      },
    }),
  ]);
});
afterAll(async () => {
  await Promise.all([s?.close(), proxied?.close()]);
});

const login = (email: string, password: string, remoteAddress = "127.0.0.1") =>
  s.inject({ method: "POST", url: "/api/auth/login/", payload: { email, password }, remoteAddress });

const statuses = (responses: { statusCode: number }[]) => {
  const counts: Record<number, number> = {};
  for (const r of responses) counts[r.statusCode] = (counts[r.statusCode] ?? 0) + 1;
  return counts;
};

describe("#auth.login throttling", () => {
  it("checks at most 5 of 50 parallel wrong passwords for one account from one address", async () => {
    const u = await s.createUser({ role: "requester" });
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => login(u.email, "wrong-password-guess", "10.50.0.1")),
    );
    const counts = statuses(answers);
    expect(counts[401]).toBe(5);
    expect(counts[429]).toBe(45);
    const limited = answers.find((r) => r.statusCode === 429)!;
    expect(limited.json().error.code).toBe("auth.too_many_attempts");
    const retryAfter = Number(limited.headers["retry-after"]);
    // The real remaining time of the 15-minute window.
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(limited.json().error.details.retry_after_seconds).toBe(retryAfter);
  });

  it("slows down guessing one account from many addresses instead of checking every guess", async () => {
    const u = await s.createUser({ role: "requester" });
    const answers = [];
    const started = performance.now();
    for (let i = 0; i < 160; i++) {
      answers.push(await login(u.email, `wrong-guess-${i}`, `10.60.0.${i % 40}`));
    }
    const elapsedSeconds = (performance.now() - started) / 1000;
    const counts = statuses(answers);
    // Ten free failures, then one attempt per growing delay (2 s, 4 s, 8 s …): the 11th goes
    // at once, the (11+m)th no earlier than 2^(m+1) - 2 s later. A slow machine takes longer
    // over the 160 and may fit another delay in; never more than the clock allows.
    const delaysFitted = Math.max(0, Math.floor(Math.log2(elapsedSeconds + 2)) - 1);
    expect(counts[401]).toBeGreaterThanOrEqual(10);
    expect(counts[401]).toBeLessThanOrEqual(11 + delaysFitted);
    expect(counts[401]).toBeLessThan(20);
    expect(counts[429]).toBe(160 - (counts[401] ?? 0));
    // A slowdown, not a lock: the wait is at most a minute.
    const waits = answers.filter((r) => r.statusCode === 429).map((r) => Number(r.headers["retry-after"]));
    expect(Math.max(...waits)).toBeLessThanOrEqual(60);
  });

  it("does not lock out a colleague's correct sign-in behind the same address (NAT)", async () => {
    const office = "10.70.0.1";
    for (let n = 0; n < 8; n++) {
      const other = await s.createUser({ role: "requester" });
      for (let i = 0; i < 5; i++)
        expect((await login(other.email, "mistyped-password", office)).statusCode).toBe(401);
    }
    for (let i = 0; i < 10; i++) await login(`nobody-${i}@example.com`, "whatever-password", office);
    const colleague = await s.createUser({ role: "executor" });
    const res = await login(colleague.email, colleague.password, office);
    expect(res.statusCode).toBe(200);
  });

  it("limits one address guessing accounts that do not exist", async () => {
    const answers = [];
    for (let i = 0; i < 35; i++)
      answers.push(await login(`ghost-${i}@example.com`, "password-guess", "10.80.0.1"));
    expect(statuses(answers)).toEqual({ 401: 30, 429: 5 });
  });

  it("counts in the database, so every instance sees the same limit", async () => {
    const u = await s.createUser({ role: "requester" });
    const config = { ...s.config, services: ["web" as const] };
    const second = await createServer(config, { database: s.ctx.database, jobs: "inline" });
    try {
      for (let i = 0; i < 3; i++)
        expect((await login(u.email, "wrong-password", "10.90.0.1")).statusCode).toBe(401);
      const viaSecond = (password: string) =>
        second.app.inject({
          method: "POST",
          url: "/api/auth/login/",
          payload: { email: u.email, password },
          remoteAddress: "10.90.0.1",
        });
      expect((await viaSecond("wrong-password")).statusCode).toBe(401);
      expect((await viaSecond("wrong-password")).statusCode).toBe(401);
      expect((await viaSecond(u.password)).statusCode).toBe(429);
    } finally {
      await second.close();
    }
  });

  it("forgets an address's failures once its owner signs in", async () => {
    const u = await s.createUser({ role: "requester" });
    for (let i = 0; i < 4; i++) await login(u.email, "wrong-password", "10.91.0.1");
    expect((await login(u.email, u.password, "10.91.0.1")).statusCode).toBe(200);
    for (let i = 0; i < 4; i++)
      expect((await login(u.email, "wrong-password", "10.91.0.1")).statusCode).toBe(401);
  });

  it("throttles API token sign-in the same way", async () => {
    const u = await s.createUser({ role: "operator", departmentIds: [1] });
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        s.inject({
          method: "POST",
          url: "/api/api-token-auth/",
          payload: { username: u.email, password: "not-the-password" },
          remoteAddress: "10.92.0.1",
        }),
      ),
    );
    expect(statuses(answers)).toEqual({ 401: 5, 429: 7 });
  });
});

describe("#auth.password throttling", () => {
  it("checks the current password at most 5 times, however many guesses an access token sends", async () => {
    const u = await s.createUser({ role: "requester" });
    const headers = await s.login(u.email, u.password);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        s.inject({
          method: "POST",
          url: "/api/auth/password/",
          headers,
          payload: { current_password: `guess-number-${i}`, new_password: "another-long-pass" },
        }),
      ),
    );
    expect(statuses(answers)).toEqual({ 401: 5, 429: 25 });
  });
});

describe("#auth tokens", () => {
  const key = () => createHash("sha256").update(`jwt:${s.config.appSecret}`).digest();
  const session = async () => {
    const u = await s.createUser({ role: "requester" });
    const res = await login(u.email, u.password);
    const body = res.json();
    const claims = JSON.parse(Buffer.from(body.access.split(".")[1], "base64url").toString());
    return { u, ...body, claims } as {
      u: typeof u;
      access: string;
      refresh: string;
      claims: { sub: string; sid: string };
    };
  };
  const profile = (access: string) =>
    s.inject({ method: "GET", url: "/api/auth/profile/", headers: { authorization: `Bearer ${access}` } });

  it("refuses an access token without an expiry, an issue time or a known type, even when signed with the real key", async () => {
    const { claims } = await session();
    const sign = (payload: Record<string, unknown>, build: (j: SignJWT) => SignJWT) =>
      build(
        new SignJWT(payload).setProtectedHeader({ alg: "HS256" }).setSubject(claims.sub).setJti("j1"),
      ).sign(key());
    const noExp = await sign({ typ: "access", sid: claims.sid }, (j) => j.setIssuedAt());
    const noIat = await sign({ typ: "access", sid: claims.sid }, (j) => j.setExpirationTime("10m"));
    const oddType = await sign({ typ: "admin", sid: claims.sid }, (j) =>
      j.setIssuedAt().setExpirationTime("10m"),
    );
    const good = await sign({ typ: "access", sid: claims.sid }, (j) =>
      j.setIssuedAt().setExpirationTime("10m"),
    );
    for (const token of [noExp, noIat, oddType]) {
      const res = await profile(token);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe("auth.invalid_token");
    }
    expect((await profile(good)).statusCode).toBe(200);
  });

  it("rotates refresh tokens and ends the session when a used one comes back", async () => {
    const { refresh } = await session();
    const first = await s.inject({ method: "POST", url: "/api/auth/refresh/", payload: { refresh } });
    expect(first.statusCode).toBe(200);
    const rotated = first.json() as { access: string; refresh: string };
    expect(rotated.refresh).not.toBe(refresh);
    expect((await profile(rotated.access)).statusCode).toBe(200);
    // The old refresh token again: somebody copied it. Both copies stop working.
    const replay = await s.inject({ method: "POST", url: "/api/auth/refresh/", payload: { refresh } });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.code).toBe("auth.invalid_token");
    expect((await profile(rotated.access)).statusCode).toBe(401);
    const next = await s.inject({
      method: "POST",
      url: "/api/auth/refresh/",
      payload: { refresh: rotated.refresh },
    });
    expect(next.statusCode).toBe(401);
  });

  it("keeps API tokens dead after the user is deactivated and reactivated", async () => {
    const admin = await s.actor("admin");
    const u = await s.createUser({ role: "operator", departmentIds: [1] });
    const token = (
      await s.inject({
        method: "POST",
        url: "/api/api-token-auth/",
        payload: { email: u.email, password: u.password },
      })
    ).json().token as string;
    const withToken = () =>
      s.inject({ method: "GET", url: "/api/auth/profile/", headers: { authorization: `Token ${token}` } });
    expect((await withToken()).statusCode).toBe(200);
    await s.inject({ method: "POST", url: `/api/users/${u.id}/deactivate/`, headers: admin.headers });
    expect((await withToken()).statusCode).toBe(401);
    await s.inject({ method: "POST", url: `/api/users/${u.id}/activate/`, headers: admin.headers });
    expect((await withToken()).statusCode).toBe(401);
    // The user can get a fresh one.
    const fresh = await s.inject({
      method: "POST",
      url: "/api/api-token-auth/",
      payload: { email: u.email, password: u.password },
    });
    expect(fresh.statusCode).toBe(200);
  });
});

describe("#auth cookie writes", () => {
  const cookieOf = async () => {
    const u = await s.createUser({ role: "requester" });
    const res = await login(u.email, u.password);
    return res.cookies.find((c) => c.name === "hd_session")!.value;
  };
  const write = (cookie: string, headers: Record<string, string>) =>
    s.inject({
      method: "POST",
      url: "/api/tickets/",
      cookies: { hd_session: cookie },
      headers,
      payload: { title: "cookie write" },
    });

  it("compares the Origin with PUBLIC_URL, not with the request's own Host", async () => {
    const cookie = await cookieOf();
    const spoofed = await write(cookie, { origin: "https://evil.example", host: "evil.example" });
    expect(spoofed.statusCode).toBe(403);
    expect(spoofed.json().error.code).toBe("auth.csrf");
    const local = await write(cookie, { origin: "http://127.0.0.1:3000", host: "127.0.0.1:3000" });
    expect(local.statusCode).toBe(403);
    const ours = await write(cookie, { origin: "https://desk.example.com", host: "desk.example.com" });
    expect(ours.statusCode).toBe(201);
  });

  it("refuses a cross-site write without an Origin header", async () => {
    const cookie = await cookieOf();
    const res = await write(cookie, { "sec-fetch-site": "cross-site" });
    expect(res.statusCode).toBe(403);
    expect((await write(cookie, { "sec-fetch-site": "same-origin" })).statusCode).toBe(201);
  });

  it("accepts the extra origins of TRUSTED_ORIGINS", async () => {
    const u = await proxied.createUser({ role: "requester" });
    const res = await proxied.inject({
      method: "POST",
      url: "/api/auth/login/",
      payload: { email: u.email, password: u.password },
    });
    const cookie = res.cookies.find((c) => c.name === "hd_session")!.value;
    const answer = await proxied.inject({
      method: "POST",
      url: "/api/tickets/",
      cookies: { hd_session: cookie },
      headers: { origin: "https://support.example.org" },
      payload: { title: "from the other site" },
    });
    expect(answer.statusCode).toBe(201);
  });
});

describe("#auth behind a proxy", () => {
  it("takes the right-most untrusted address of X-Forwarded-For, so a client cannot pick a fresh counter", async () => {
    const u = await proxied.createUser({ role: "requester" });
    const answers = [];
    for (let i = 0; i < 10; i++) {
      answers.push(
        await proxied.inject({
          method: "POST",
          url: "/api/auth/login/",
          payload: { email: u.email, password: "wrong-password" },
          // nginx on this machine appends the real client (203.0.113.7) to what the client sent.
          remoteAddress: "127.0.0.1",
          headers: { "x-forwarded-for": `198.51.100.${i}, 203.0.113.7` },
        }),
      );
    }
    expect(statuses(answers)).toEqual({ 401: 5, 429: 5 });
  });
});

describe("#security headers", () => {
  it("sends a Content-Security-Policy without inline scripts and refuses framing", async () => {
    const docs = await s.inject({ method: "GET", url: "/api/docs/", headers: { accept: "text/html" } });
    expect(docs.statusCode).toBe(200);
    const csp = String(docs.headers["content-security-policy"]);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self' wss://desk.example.com");
    const api = await s.inject({ method: "GET", url: "/api/health/" });
    expect(api.headers["content-security-policy"]).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(api.headers["x-frame-options"]).toBe("DENY");
  });

  it("hides /metrics from anyone but this machine, or the holder of METRICS_TOKEN", async () => {
    const local = await s.inject({ method: "GET", url: "/metrics", remoteAddress: "127.0.0.1" });
    expect(local.statusCode).toBe(200);
    const remote = await s.inject({ method: "GET", url: "/metrics", remoteAddress: "192.0.2.10" });
    expect(remote.statusCode).toBe(404);
    const relayed = await s.inject({
      method: "GET",
      url: "/metrics",
      remoteAddress: "127.0.0.1",
      headers: { "x-forwarded-for": "192.0.2.10" },
    });
    expect(relayed.statusCode).toBe(404);
    const get = (authorization?: string) =>
      proxied.inject({
        method: "GET",
        url: "/metrics",
        remoteAddress: "192.0.2.10",
        headers: authorization ? { authorization } : {},
      });
    expect((await get()).statusCode).toBe(404);
    expect((await get("Bearer wrong-token-0123456789")).statusCode).toBe(404);
    const ok = await get("Bearer metrics-token-0123456789");
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain("helpdesk_http_request_duration_seconds");
  });
});
