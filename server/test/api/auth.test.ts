import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TTestServer } from "../helpers.js";

let s: TTestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.close();
});

const register = (payload: Record<string, unknown>) =>
  s.inject({ method: "POST", url: "/api/auth/register/", payload });

describe("#auth.register", () => {
  it("creates a requester; nobody chooses a staff role", async () => {
    const res = await register({ email: "Petr@Example.com", password: "long-enough-pass", name: "Пётр" });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ email: "petr@example.com", role: "requester", language: "ru" });
    expect(res.body).not.toContain("password");
    const withRole = await register({
      email: "boss@example.com",
      password: "long-enough-pass",
      name: "B",
      role: "admin",
    });
    expect(withRole.statusCode).toBe(400);
    expect(withRole.json().error.code).toBe("validation.invalid");
  });

  it("answers 409 for a duplicate e-mail, whatever its case", async () => {
    const res = await register({ email: "PETR@example.com", password: "long-enough-pass", name: "Пётр" });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe("auth.email_taken");
  });

  it("answers 400 for weak passwords with reasons", async () => {
    for (const password of ["short", "password123", "aaaaaaaaaaaa", "maria-secret-1"]) {
      const res = await register({ email: "maria@example.com", password, name: "Maria" });
      expect(res.statusCode, password).toBe(400);
      expect(res.json().error.code).toBe("auth.weak_password");
    }
  });

  it("limits sign-up to the allowed domain set by the admin", async () => {
    const admin = await s.actor("admin");
    const set = await s.inject({
      method: "PATCH",
      url: "/api/settings/",
      headers: admin.headers,
      payload: { allowed_email_domain: "corp.example" },
    });
    expect(set.statusCode).toBe(200);
    // The settings cache is per process; a fresh read happens after an update.
    const refused = await register({ email: "x@gmail.com", password: "long-enough-pass", name: "X" });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({
      code: "auth.domain_not_allowed",
      details: { domain: "corp.example" },
    });
    const ok = await register({ email: "x@corp.example", password: "long-enough-pass", name: "X" });
    expect(ok.statusCode).toBe(201);
    const pub = await s.inject({ method: "GET", url: "/api/settings/public/" });
    expect(pub.json().allowed_email_domain).toBe("corp.example");
    await s.inject({
      method: "PATCH",
      url: "/api/settings/",
      headers: admin.headers,
      payload: { allowed_email_domain: null },
    });
  });
});

describe("#auth.login", () => {
  it("returns JWTs and a session cookie that also authenticates", async () => {
    const u = await s.createUser({ role: "requester" });
    const res = await s.inject({
      method: "POST",
      url: "/api/auth/login/",
      payload: { email: u.email, password: u.password },
    });
    expect(res.statusCode).toBe(200);
    const cookie = res.cookies.find((c) => c.name === "hd_session");
    expect(cookie?.httpOnly).toBe(true);
    const viaCookie = await s.inject({
      method: "GET",
      url: "/api/auth/profile/",
      cookies: { hd_session: cookie!.value },
    });
    expect(viaCookie.json().email).toBe(u.email);
    // A cookie-authenticated write from another site is refused.
    const csrf = await s.inject({
      method: "POST",
      url: "/api/tickets/",
      cookies: { hd_session: cookie!.value },
      headers: { origin: "https://evil.example" },
      payload: { title: "csrf" },
    });
    expect(csrf.statusCode).toBe(403);
    expect(csrf.json().error.code).toBe("auth.csrf");
  });

  it("refuses a wrong password with 401 and rate-limits repeated failures", async () => {
    const u = await s.createUser({ role: "requester" });
    const attempt = (password: string) =>
      s.inject({
        method: "POST",
        url: "/api/auth/login/",
        payload: { email: u.email, password },
        remoteAddress: "10.9.9.9",
      });
    for (let i = 0; i < 5; i++) {
      const res = await attempt("wrong-password");
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe("auth.invalid_credentials");
    }
    const limited = await attempt(u.password);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe("auth.too_many_attempts");
    // Another address is not affected.
    const other = await s.inject({
      method: "POST",
      url: "/api/auth/login/",
      payload: { email: u.email, password: u.password },
    });
    expect(other.statusCode).toBe(200);
  });

  it("refreshes an access token and ends the session on logout", async () => {
    const u = await s.createUser({ role: "executor" });
    const { refresh, access } = (
      await s.inject({
        method: "POST",
        url: "/api/auth/login/",
        payload: { email: u.email, password: u.password },
      })
    ).json();
    const refreshed = await s.inject({ method: "POST", url: "/api/auth/refresh/", payload: { refresh } });
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.json().access).toMatch(/^ey/);
    const asAccess = await s.inject({
      method: "POST",
      url: "/api/auth/refresh/",
      payload: { refresh: access },
    });
    expect(asAccess.statusCode).toBe(401);
    const out = await s.inject({
      method: "POST",
      url: "/api/auth/logout/",
      headers: { authorization: `Bearer ${access}` },
    });
    expect(out.statusCode).toBe(204);
    const after = await s.inject({
      method: "GET",
      url: "/api/auth/profile/",
      headers: { authorization: `Bearer ${access}` },
    });
    expect(after.statusCode).toBe(401);
    expect(
      (await s.inject({ method: "POST", url: "/api/auth/refresh/", payload: { refresh } })).statusCode,
    ).toBe(401);
  });

  it("issues API tokens usable as `Authorization: Token`", async () => {
    const u = await s.createUser({ role: "operator", departmentIds: [1] });
    const res = await s.inject({
      method: "POST",
      url: "/api/api-token-auth/",
      payload: { username: u.email, password: u.password },
    });
    expect(res.statusCode).toBe(200);
    const token = res.json().token;
    expect(token).toMatch(/^[0-9a-f]{40}$/);
    const me = await s.inject({
      method: "GET",
      url: "/api/auth/profile/",
      headers: { authorization: `Token ${token}` },
    });
    expect(me.json().email).toBe(u.email);
    const bad = await s.inject({
      method: "GET",
      url: "/api/auth/profile/",
      headers: { authorization: "Token nope" },
    });
    expect(bad.statusCode).toBe(401);
  });
});

describe("#users.deactivate", () => {
  it("stops login and every token at once, and keeps the user's history", async () => {
    const admin = await s.actor("admin");
    const u = await s.createUser({ role: "requester" });
    const headers = await s.login(u.email, u.password);
    const token = (
      await s.inject({
        method: "POST",
        url: "/api/api-token-auth/",
        payload: { email: u.email, password: u.password },
      })
    ).json().token;
    const ticket = (
      await s.inject({ method: "POST", url: "/api/tickets/", headers, payload: { title: "Before leaving" } })
    ).json();
    const res = await s.inject({
      method: "POST",
      url: `/api/users/${u.id}/deactivate/`,
      headers: admin.headers,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().is_active).toBe(false);
    expect((await s.inject({ method: "GET", url: "/api/auth/profile/", headers })).statusCode).toBe(401);
    expect(
      (
        await s.inject({
          method: "GET",
          url: "/api/auth/profile/",
          headers: { authorization: `Token ${token}` },
        })
      ).statusCode,
    ).toBe(401);
    const login = await s.inject({
      method: "POST",
      url: "/api/auth/login/",
      payload: { email: u.email, password: u.password },
    });
    expect(login.statusCode).toBe(403);
    expect(login.json().error.code).toBe("auth.account_disabled");
    const kept = await s.inject({ method: "GET", url: `/api/tickets/${ticket.id}/`, headers: admin.headers });
    expect(kept.json().requester.id).toBe(u.id);
    const self = await s.inject({
      method: "POST",
      url: `/api/users/${admin.id}/deactivate/`,
      headers: admin.headers,
    });
    expect(self.statusCode).toBe(400);
  });
});

describe("#auth.profile", () => {
  it("updates name, language and theme, and changes the password", async () => {
    const u = await s.createUser({ role: "requester" });
    const headers = await s.login(u.email, u.password);
    const res = await s.inject({
      method: "PATCH",
      url: "/api/auth/profile/",
      headers,
      payload: { name: "New Name", language: "en", theme: "dark" },
    });
    expect(res.json()).toMatchObject({ name: "New Name", language: "en", theme: "dark" });
    const wrong = await s.inject({
      method: "POST",
      url: "/api/auth/password/",
      headers,
      payload: { current_password: "nope-nope-nope", new_password: "another-long-pass" },
    });
    expect(wrong.statusCode).toBe(401);
    const ok = await s.inject({
      method: "POST",
      url: "/api/auth/password/",
      headers,
      payload: { current_password: u.password, new_password: "another-long-pass" },
    });
    expect(ok.statusCode).toBe(204);
    await s.login(u.email, "another-long-pass");
  });
});
