import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findActorsByIds } from "../../src/modules/auth/auth.repository.js";
import { resolveContact } from "../../src/modules/contacts/contacts.usecases.js";
import { createTicket } from "../../src/modules/tickets/tickets.usecases.js";
import { withTx } from "../../src/platform/unit-of-work.js";
import { startTestServer, type TTestServer } from "../helpers.js";

let s: TTestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.close();
});

const resolve = (channel: string, externalId: string, displayName?: string) =>
  withTx(s.ctx, (tx) => resolveContact(tx, { channel, externalId, displayName }, "ru"));

/** A ticket filed by a contact, as a channel would (no HTTP: contacts without e-mail cannot sign in). */
async function fileAs(userId: number, title: string): Promise<number> {
  const [state] = await findActorsByIds(s.ctx.db, [userId]);
  if (!state) throw new Error("no such user");
  return withTx(s.ctx, (tx, emit) =>
    createTicket(tx, emit, state, { title, description: "", attachment_ids: [] }, "telegram"),
  );
}

describe("contacts", () => {
  it("makes a requester without an e-mail address for a new channel identity, once", async () => {
    const first = await resolve("telegram", "100200300", "Ivan T.");
    expect(first.created).toBe(true);
    const again = await resolve("telegram", "100200300", "Ivan T.");
    expect(again).toEqual({ userId: first.userId, created: false });
    // The same number on another channel is another identity.
    expect((await resolve("widget", "100200300")).userId).not.toBe(first.userId);

    const ticketId = await fileAs(first.userId, "Не работает бот");
    const admin = await s.actor("admin");
    const ticket = (
      await s.inject({ method: "GET", url: `/api/tickets/${ticketId}/`, headers: admin.headers })
    ).json();
    expect(ticket.requester).toEqual({ id: first.userId, name: "Ivan T.", email: null });
    const list = await s.inject({ method: "GET", url: "/api/tickets/?q=бот", headers: admin.headers });
    expect(list.statusCode).toBe(200);
    // Every screen that lists people copes with one who has no address.
    for (const url of ["/api/users/", "/api/users/?role=requester", `/api/users/${first.userId}/`]) {
      const res = await s.inject({ method: "GET", url, headers: admin.headers });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    }
  });

  it("resolves concurrent first messages of one new person to one contact", async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => resolve("telegram", "555", "Same")));
    expect(new Set(results.map((r) => r.userId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it("finds an e-mail sender by the account's address, case-insensitively", async () => {
    const user = await s.createUser({ role: "requester", email: "Mixed.Case@example.com" });
    expect((await resolve("email", "mixed.case@example.com")).userId).toBe(user.id);
  });

  it("lets staff merge the Telegram contact into the e-mail requester, keeping history", async () => {
    const operator = await s.actor("operator", [1]);
    const requester = await s.actor("requester");
    const tg = await resolve("telegram", "777", "Maria");
    const byMail = (
      await s.inject({
        method: "POST",
        url: "/api/tickets/",
        headers: requester.headers,
        payload: { title: "By mail" },
      })
    ).json().id;
    const byTelegram = await fileAs(tg.userId, "By Telegram");

    const identities = await s.inject({
      method: "GET",
      url: `/api/contacts/${tg.userId}/identities/`,
      headers: operator.headers,
    });
    expect(identities.json()).toMatchObject({
      email: null,
      results: [{ channel: "telegram", external_id: "777" }],
    });

    const merged = await s.inject({
      method: "POST",
      url: "/api/contacts/merge/",
      headers: operator.headers,
      payload: { source_id: tg.userId, target_id: requester.id },
    });
    expect(merged.statusCode, merged.body).toBe(200);
    expect(merged.json()).toEqual({
      user_id: requester.id,
      merged_id: tg.userId,
      moved: { tickets: 1, messages: 0, identities: 1 },
    });

    // The requester now sees both requests, with their history.
    const mine = await s.inject({
      method: "GET",
      url: "/api/tickets/my-tickets/",
      headers: requester.headers,
    });
    expect(
      mine
        .json()
        .results.map((t: { id: number }) => t.id)
        .sort(),
    ).toEqual([byMail, byTelegram].sort());
    const history = await s.inject({
      method: "GET",
      url: `/api/tickets/${byTelegram}/history/`,
      headers: requester.headers,
    });
    expect(history.json().results[0]).toMatchObject({ type: "created", actor: { id: requester.id } });
    // The next Telegram message reaches the requester.
    expect(await resolve("telegram", "777")).toEqual({ userId: requester.id, created: false });
    const after = await s.inject({
      method: "GET",
      url: `/api/contacts/${requester.id}/identities/`,
      headers: operator.headers,
    });
    expect(after.json()).toMatchObject({
      email: requester.email,
      results: [{ channel: "telegram", external_id: "777" }],
    });
    // Merging it again is refused: it is gone.
    const twice = await s.inject({
      method: "POST",
      url: "/api/contacts/merge/",
      headers: operator.headers,
      payload: { source_id: tg.userId, target_id: requester.id },
    });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.code).toBe("contacts.already_merged");
  });

  it("refuses merges by non-staff, of staff, and into oneself, changing nothing", async () => {
    const requester = await s.actor("requester");
    const executor = await s.actor("executor", [1]);
    const admin = await s.actor("admin");
    const contact = await resolve("telegram", "888");
    const attempt = (headers: Record<string, string>, source_id: number, target_id: number) =>
      s.inject({ method: "POST", url: "/api/contacts/merge/", headers, payload: { source_id, target_id } });

    for (const who of [requester, executor]) {
      const res = await attempt(who.headers, contact.userId, requester.id);
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe("contacts.forbidden");
      const list = await s.inject({
        method: "GET",
        url: `/api/contacts/${contact.userId}/identities/`,
        headers: who.headers,
      });
      expect(list.statusCode).toBe(403);
    }
    const staff = await attempt(admin.headers, executor.id, requester.id);
    expect(staff.statusCode).toBe(400);
    expect(staff.json().error.code).toBe("contacts.not_a_contact");
    const self = await attempt(admin.headers, contact.userId, contact.userId);
    expect(self.json().error.code).toBe("contacts.merge_into_self");
    const missing = await attempt(admin.headers, 2_000_000_000, requester.id);
    expect(missing.statusCode).toBe(404);
    expect(await resolve("telegram", "888")).toEqual({ userId: contact.userId, created: false });
  });
});
