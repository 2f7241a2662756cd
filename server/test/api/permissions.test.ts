import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TTestServer } from "../helpers.js";

let s: TTestServer;
type TActorHandle = Awaited<ReturnType<TTestServer["actor"]>>;
let alice: TActorHandle;
let bob: TActorHandle;
let opDesk: TActorHandle;
let opAccounting: TActorHandle;
let execDesk: TActorHandle;
let admin: TActorHandle;
let accountingDept: number;
let billingQueue: number;
let aliceTicket: number;
let billingTicket: number;

const ids = (res: { json(): { results: { id: number }[] } }) => res.json().results.map((t) => t.id);

beforeAll(async () => {
  s = await startTestServer();
  admin = await s.actor("admin");
  const dept = await s.inject({
    method: "POST",
    url: "/api/departments/",
    headers: admin.headers,
    payload: { name_ru: "Бухгалтерия", name_en: "Accounting" },
  });
  accountingDept = dept.json().id;
  const queues = (await s.inject({ method: "GET", url: "/api/queues/", headers: admin.headers })).json()
    .results;
  billingQueue = queues.find((q: { slug: string }) => q.slug === "billing").id;
  await s.inject({
    method: "PATCH",
    url: `/api/queues/${billingQueue}/`,
    headers: admin.headers,
    payload: { department_id: accountingDept },
  });
  alice = await s.actor("requester");
  bob = await s.actor("requester");
  opDesk = await s.actor("operator", [1]);
  opAccounting = await s.actor("operator", [accountingDept]);
  execDesk = await s.actor("executor", [1]);

  aliceTicket = (
    await s.inject({
      method: "POST",
      url: "/api/tickets/",
      headers: alice.headers,
      payload: { title: "Alice's laptop" },
    })
  ).json().id;
  billingTicket = (
    await s.inject({
      method: "POST",
      url: "/api/tickets/",
      headers: bob.headers,
      payload: { title: "Bob's invoice", queue_id: billingQueue },
    })
  ).json().id;
});
afterAll(async () => {
  await s?.close();
});

describe("#tickets visibility", () => {
  it("a requester cannot see another requester's ticket, by id, list, search or history", async () => {
    for (const url of [
      `/api/tickets/${billingTicket}/`,
      `/api/tickets/${billingTicket}/messages/`,
      `/api/tickets/${billingTicket}/history/`,
    ]) {
      const res = await s.inject({ method: "GET", url, headers: alice.headers });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe("tickets.not_found");
    }
    expect(ids(await s.inject({ method: "GET", url: "/api/tickets/", headers: alice.headers }))).toEqual([
      aliceTicket,
    ]);
    expect(
      ids(await s.inject({ method: "GET", url: "/api/tickets/?q=invoice", headers: alice.headers })),
    ).toEqual([]);
    expect(
      ids(
        await s.inject({
          method: "GET",
          url: `/api/tickets/?requester_id=${bob.id}`,
          headers: alice.headers,
        }),
      ),
    ).toEqual([]);
    const reply = await s.inject({
      method: "POST",
      url: "/api/messages/",
      headers: alice.headers,
      payload: { ticket_id: billingTicket, text: "me too" },
    });
    expect(reply.statusCode).toBe(404);
  });

  it("an operator sees only their departments' queues", async () => {
    expect(
      ids(await s.inject({ method: "GET", url: "/api/tickets/all-tickets/", headers: opDesk.headers })),
    ).toEqual([aliceTicket]);
    expect(
      ids(await s.inject({ method: "GET", url: "/api/tickets/all-tickets/", headers: opAccounting.headers })),
    ).toEqual([billingTicket]);
    expect(
      (await s.inject({ method: "GET", url: `/api/tickets/${billingTicket}/`, headers: opDesk.headers }))
        .statusCode,
    ).toBe(404);
  });

  it("an executor sees assigned tickets plus their departments' queues", async () => {
    expect(ids(await s.inject({ method: "GET", url: "/api/tickets/", headers: execDesk.headers }))).toEqual([
      aliceTicket,
    ]);
    await s.inject({
      method: "POST",
      url: `/api/tickets/${billingTicket}/assign/`,
      headers: opAccounting.headers,
      payload: { executor_id: execDesk.id },
    });
    expect(ids(await s.inject({ method: "GET", url: "/api/tickets/", headers: execDesk.headers }))).toEqual([
      billingTicket,
      aliceTicket,
    ]);
    expect(
      ids(await s.inject({ method: "GET", url: "/api/tickets/assigned-to-me/", headers: execDesk.headers })),
    ).toEqual([billingTicket]);
  });

  it("moving a queue to another department changes who sees its tickets at once", async () => {
    const before = ids(
      await s.inject({ method: "GET", url: "/api/tickets/all-tickets/", headers: opDesk.headers }),
    );
    expect(before).not.toContain(billingTicket);
    await s.inject({
      method: "PATCH",
      url: `/api/queues/${billingQueue}/`,
      headers: admin.headers,
      payload: { department_id: 1 },
    });
    expect(
      ids(await s.inject({ method: "GET", url: "/api/tickets/all-tickets/", headers: opDesk.headers })),
    ).toContain(billingTicket);
    await s.inject({
      method: "PATCH",
      url: `/api/queues/${billingQueue}/`,
      headers: admin.headers,
      payload: { department_id: accountingDept },
    });
    expect(
      ids(await s.inject({ method: "GET", url: "/api/tickets/all-tickets/", headers: opDesk.headers })),
    ).not.toContain(billingTicket);
  });

  it("an admin sees everything", async () => {
    expect(ids(await s.inject({ method: "GET", url: "/api/tickets/", headers: admin.headers }))).toEqual([
      billingTicket,
      aliceTicket,
    ]);
  });
});

describe("#notes", () => {
  it("are never visible to requesters, in any response", async () => {
    const note = await s.inject({
      method: "POST",
      url: "/api/notes/",
      headers: opDesk.headers,
      payload: { ticket_id: aliceTicket, text: "internal: check warranty" },
    });
    expect(note.statusCode).toBe(201);
    const noteId = note.json().id;
    const reply = await s.inject({
      method: "POST",
      url: "/api/messages/",
      headers: opDesk.headers,
      payload: { ticket_id: aliceTicket, text: "We are on it" },
    });
    expect(reply.statusCode).toBe(201);

    const bodies = await Promise.all(
      [
        `/api/tickets/${aliceTicket}/`,
        `/api/tickets/${aliceTicket}/messages/`,
        `/api/tickets/${aliceTicket}/history/`,
        `/api/messages/?ticket_id=${aliceTicket}`,
      ].map((url) => s.inject({ method: "GET", url, headers: alice.headers })),
    );
    for (const res of bodies) {
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain("warranty");
      expect(res.body).not.toContain('"is_internal":true');
    }
    expect(bodies[1]!.json().results.map((m: { text: string }) => m.text)).toEqual(["We are on it"]);
    for (const url of [`/api/notes/${noteId}/`, `/api/notes/?ticket_id=${aliceTicket}`]) {
      const res = await s.inject({ method: "GET", url, headers: alice.headers });
      expect(res.statusCode).toBe(404);
    }
    const write = await s.inject({
      method: "POST",
      url: "/api/notes/",
      headers: alice.headers,
      payload: { ticket_id: aliceTicket, text: "sneaky" },
    });
    expect(write.statusCode).toBe(404);
    // Staff see both, notes marked.
    const staff = await s.inject({
      method: "GET",
      url: `/api/tickets/${aliceTicket}/messages/`,
      headers: opDesk.headers,
    });
    expect(staff.json().results.map((m: { is_internal: boolean }) => m.is_internal)).toEqual([true, false]);
  });

  it("a requester's search does not match words that only appear in notes", async () => {
    const res = await s.inject({ method: "GET", url: "/api/tickets/?q=warranty", headers: alice.headers });
    expect(ids(res)).toEqual([]);
  });
});

describe("#tickets status moves", () => {
  it("a requester can close their own request but not put it in progress", async () => {
    const t = (
      await s.inject({
        method: "POST",
        url: "/api/tickets/",
        headers: alice.headers,
        payload: { title: "Mouse" },
      })
    ).json().id;
    const refused = await s.inject({
      method: "PATCH",
      url: `/api/tickets/${t}/`,
      headers: alice.headers,
      payload: { status: "in_progress" },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe("tickets.transition_forbidden");
    const closed = await s.inject({
      method: "PATCH",
      url: `/api/tickets/${t}/`,
      headers: alice.headers,
      payload: { status: "closed" },
    });
    expect(closed.json().status).toBe("closed");
    const reopened = await s.inject({
      method: "PATCH",
      url: `/api/tickets/${t}/`,
      headers: alice.headers,
      payload: { status: "open" },
    });
    expect(reopened.json()).toMatchObject({ status: "open", closed_at: null });
  });

  it("an executor not assigned cannot change the status; the assignee can", async () => {
    const t = (
      await s.inject({
        method: "POST",
        url: "/api/tickets/",
        headers: alice.headers,
        payload: { title: "Keyboard" },
      })
    ).json().id;
    await s.inject({
      method: "POST",
      url: `/api/tickets/${t}/assign/`,
      headers: opDesk.headers,
      payload: { executor_id: execDesk.id },
    });
    const colleague = await s.actor("executor", [1]);
    const refused = await s.inject({
      method: "PATCH",
      url: `/api/tickets/${t}/`,
      headers: colleague.headers,
      payload: { status: "in_progress" },
    });
    expect(refused.statusCode).toBe(403);
    const ok = await s.inject({
      method: "PATCH",
      url: `/api/tickets/${t}/`,
      headers: execDesk.headers,
      payload: { status: "in_progress" },
    });
    expect(ok.json().status).toBe("in_progress");
  });

  it("a requester's reply brings a ticket waiting for them back to the team", async () => {
    const t = (
      await s.inject({
        method: "POST",
        url: "/api/tickets/",
        headers: alice.headers,
        payload: { title: "Monitor" },
      })
    ).json().id;
    await s.inject({
      method: "POST",
      url: `/api/tickets/${t}/assign/`,
      headers: opDesk.headers,
      payload: { executor_id: execDesk.id },
    });
    await s.inject({
      method: "PATCH",
      url: `/api/tickets/${t}/`,
      headers: execDesk.headers,
      payload: { status: "waiting_for_client" },
    });
    await s.inject({
      method: "POST",
      url: "/api/messages/",
      headers: alice.headers,
      payload: { ticket_id: t, text: "Model X200" },
    });
    const after = await s.inject({ method: "GET", url: `/api/tickets/${t}/`, headers: alice.headers });
    expect(after.json().status).toBe("in_progress");
  });

  it("only an admin deletes tickets", async () => {
    const t = (
      await s.inject({
        method: "POST",
        url: "/api/tickets/",
        headers: alice.headers,
        payload: { title: "Temp" },
      })
    ).json().id;
    const refused = await s.inject({ method: "DELETE", url: `/api/tickets/${t}/`, headers: opDesk.headers });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe("tickets.delete_forbidden");
    expect(
      (await s.inject({ method: "DELETE", url: `/api/tickets/${t}/`, headers: admin.headers })).statusCode,
    ).toBe(204);
    expect(
      (await s.inject({ method: "GET", url: `/api/tickets/${t}/`, headers: admin.headers })).statusCode,
    ).toBe(404);
  });
});

describe("#tickets refusals say what was refused", () => {
  it("gives each refusal its own code", async () => {
    const t = (
      await s.inject({
        method: "POST",
        url: "/api/tickets/",
        headers: alice.headers,
        payload: { title: "Codes" },
      })
    ).json().id;
    const code = async (
      method: "POST" | "PATCH",
      url: string,
      headers: Record<string, string>,
      payload: object,
    ) => {
      const res = await s.inject({ method, url, headers, payload });
      expect(res.statusCode, res.body).toBe(403);
      return res.json().error.code as string;
    };
    expect(
      await code("POST", "/api/tickets/", alice.headers, { title: "For someone", requester_id: admin.id }),
    ).toBe("tickets.file_on_behalf_forbidden");
    expect(await code("PATCH", `/api/tickets/${t}/`, alice.headers, { assignee_id: execDesk.id })).toBe(
      "tickets.assign_forbidden",
    );
    expect(await code("POST", `/api/tickets/${t}/execute/`, execDesk.headers, {})).toBe(
      "tickets.execute_forbidden",
    );
    expect(await code("PATCH", `/api/tickets/${t}/`, alice.headers, { priority_id: 1 })).toBe(
      "tickets.edit_forbidden",
    );
  });
});

describe("#abilities in responses", () => {
  it("tells each reader what they may do, by the same policies that decide the requests", async () => {
    const t = (
      await s.inject({
        method: "POST",
        url: "/api/tickets/",
        headers: alice.headers,
        payload: { title: "Abilities" },
      })
    ).json();
    expect(t.abilities).toEqual({
      can_edit: true,
      can_edit_fields: false,
      can_change_queue: false,
      can_change_status_to: ["closed"],
      can_assign: false,
      can_take: false,
      can_execute: false,
      can_reply: true,
      can_write_note: false,
      can_delete: false,
    });
    const asExecutor = (
      await s.inject({ method: "GET", url: `/api/tickets/${t.id}/`, headers: execDesk.headers })
    ).json();
    expect(asExecutor.abilities).toMatchObject({
      can_take: true,
      can_assign: false,
      can_execute: false,
      can_write_note: true,
    });
    expect(asExecutor.abilities.can_change_status_to).toEqual([]);
    await s.inject({
      method: "POST",
      url: `/api/tickets/${t.id}/assign/`,
      headers: opDesk.headers,
      payload: { executor_id: execDesk.id },
    });
    const assigned = (
      await s.inject({ method: "GET", url: `/api/tickets/${t.id}/`, headers: execDesk.headers })
    ).json();
    expect(assigned.abilities).toMatchObject({
      can_take: false,
      can_execute: true,
      can_edit_fields: true,
      can_change_queue: false,
    });
    expect(assigned.abilities.can_change_status_to).toEqual(["in_progress", "waiting_for_client", "closed"]);
    const asAdmin = (
      await s.inject({ method: "GET", url: `/api/tickets/${t.id}/`, headers: admin.headers })
    ).json();
    expect(asAdmin.abilities).toMatchObject({ can_assign: true, can_execute: true, can_delete: true });

    await s.inject({
      method: "POST",
      url: "/api/messages/",
      headers: alice.headers,
      payload: { ticket_id: t.id, text: "Mine" },
    });
    const byAlice = (
      await s.inject({ method: "GET", url: `/api/messages/?ticket_id=${t.id}`, headers: alice.headers })
    ).json();
    expect(byAlice.results[0].abilities).toEqual({ can_edit: true, can_delete: true });
    const byOp = (
      await s.inject({ method: "GET", url: `/api/messages/?ticket_id=${t.id}`, headers: opDesk.headers })
    ).json();
    expect(byOp.results[0].abilities).toEqual({ can_edit: false, can_delete: false });
    const edit = await s.inject({
      method: "PATCH",
      url: `/api/messages/${byOp.results[0].id}/`,
      headers: opDesk.headers,
      payload: { text: "Not mine" },
    });
    expect(edit.statusCode).toBe(403);
  });
});

describe("#admin endpoints", () => {
  it("refuse non-admins", async () => {
    const attempts = [
      {
        method: "POST" as const,
        url: "/api/users/",
        payload: { email: "x@example.com", name: "X", password: "long-enough-pass", role: "admin" },
      },
      { method: "PATCH" as const, url: `/api/users/${alice.id}/`, payload: { role: "admin" } },
      { method: "POST" as const, url: "/api/queues/", payload: { name_ru: "Очередь", name_en: "Queue" } },
      { method: "PATCH" as const, url: "/api/settings/", payload: { auto_hide_hours: 1 } },
      { method: "GET" as const, url: "/api/settings/" },
      { method: "GET" as const, url: "/api/system/status/" },
    ];
    for (const who of [alice, opDesk, execDesk]) {
      for (const a of attempts) {
        const res = await s.inject({ ...a, headers: who.headers });
        expect(res.statusCode, `${a.method} ${a.url}`).toBe(403);
      }
    }
    expect((await s.inject({ method: "GET", url: "/api/users/", headers: alice.headers })).statusCode).toBe(
      403,
    );
    expect((await s.inject({ method: "GET", url: "/api/users/" })).statusCode).toBe(401);
  });

  it("lets an admin add an employee with a role and departments, who can then work", async () => {
    const res = await s.inject({
      method: "POST",
      url: "/api/users/",
      headers: admin.headers,
      payload: {
        email: "new.exec@example.com",
        name: "Новый Исполнитель",
        password: "a-good-long-password",
        role: "executor",
        department_ids: [1, accountingDept],
      },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ role: "executor", department_ids: [1, accountingDept] });
    const executors = await s.inject({
      method: "GET",
      url: "/api/users/executors/",
      headers: opDesk.headers,
    });
    expect(executors.json().results.map((e: { email: string }) => e.email)).toContain("new.exec@example.com");
  });
});
