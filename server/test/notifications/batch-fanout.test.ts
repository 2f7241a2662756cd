import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findActorsByIds } from "../../src/modules/auth/auth.repository.js";
import { fanOutEvents } from "../../src/modules/notifications/notifications.engine.js";
import { addMessage, createTicket } from "../../src/modules/tickets/tickets.usecases.js";
import { idArray } from "../../src/platform/db/id-array.js";
import { startTestServer, type TTestServer } from "../helpers.js";

let s: TTestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.close();
});

type TPerson = { id: number; email: string; headers: { authorization: string } };

const ok = async (method: "POST" | "PATCH", url: string, who: TPerson, payload: object) => {
  const res = await s.inject({ method, url, headers: who.headers, payload });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json() as { id: number };
};

/** Writes an event as the usecases do, without publishing it: nothing fans it out yet. */
async function unpublished(write: (tx: never) => Promise<number>): Promise<number> {
  await s.ctx.db.transaction((tx) => write(tx as never));
  const { rows } = await s.ctx.db.execute<{ id: number }>(
    sql`SELECT max(id)::float8 AS id FROM ticket_events`,
  );
  return Number(rows[0]!.id);
}

describe("#notifications fan-out in batches", () => {
  it("tells each event of a batch to exactly those one would tell alone, and only once", async () => {
    const admin = await s.actor("admin");
    const deptA = (await ok("POST", "/api/departments/", admin, { name_ru: "Отдел А", name_en: "Dept A" }))
      .id;
    const deptB = (await ok("POST", "/api/departments/", admin, { name_ru: "Отдел Б", name_en: "Dept B" }))
      .id;
    const queue = async (slug: string, department_id: number) =>
      (await ok("POST", "/api/queues/", admin, { name_ru: slug, name_en: slug, slug, department_id })).id;
    const queueA = await queue("batch-a", deptA);
    const queueB = await queue("batch-b", deptB);
    const opA = await s.actor("operator", [deptA]);
    const opB = await s.actor("operator", [deptB]);
    const exB = await s.actor("executor", [deptB]);
    const reqA = await s.actor("requester");
    const reqB = await s.actor("requester");
    const tA = await ok("POST", "/api/tickets/", reqA, { title: "Batch A", queue_id: queueA });
    const tB = await ok("POST", "/api/tickets/", reqB, { title: "Batch B", queue_id: queueB });
    // exB watches a ticket of department A it cannot see (it moved away from them, say).
    await s.ctx.db.execute(sql`
      INSERT INTO ticket_watchers (ticket_id, user_id)
      VALUES (${tA.id}, ${opA.id}), (${tA.id}, ${exB.id}), (${tB.id}, ${opB.id})`);
    const actor = async (id: number) => (await findActorsByIds(s.ctx.db, [id]))[0]!;
    const [adminActor, opBActor, reqAActor] = [
      await actor(admin.id),
      await actor(opB.id),
      await actor(reqA.id),
    ];
    const say = (who: typeof adminActor, ticketId: number, text: string, isInternal: boolean) =>
      unpublished((tx) => addMessage(tx, () => {}, who, { ticketId, text, isInternal, attachmentIds: [] }));

    const publicOnA = await say(adminActor, tA.id, "public on A", false);
    const noteOnB = await say(adminActor, tB.id, "note on B", true);
    const replyByWatcher = await say(opBActor, tB.id, "reply by the watcher", false);
    const created = await unpublished((tx) =>
      createTicket(tx, () => {}, reqAActor, {
        title: "New in A",
        description: "",
        queue_id: queueA,
        attachment_ids: [],
      } as never),
    );
    const events = [publicOnA, noteOnB, replyByWatcher, created];

    const r = await fanOutEvents(s.ctx, events);
    expect(r.fannedOut).toBe(4);
    const { rows } = await s.ctx.db.execute<{ event_id: number; user_id: number }>(sql`
      SELECT DISTINCT event_id::float8 AS event_id, user_id FROM notification_deliveries
      WHERE event_id = ANY(${idArray(events)})`);
    const told = (eventId: number) =>
      rows
        .filter((d) => Number(d.event_id) === eventId)
        .map((d) => d.user_id)
        .sort((a, b) => a - b);
    const ids = (...people: TPerson[]) => people.map((p) => p.id).sort((a, b) => a - b);
    // The requester and the watcher who may see it; never the watcher from another department.
    expect(told(publicOnA)).toEqual(ids(reqA, opA));
    // A note: staff who may see it, never the requester.
    expect(told(noteOnB)).toEqual(ids(opB));
    // Never the author.
    expect(told(replyByWatcher)).toEqual(ids(reqB));
    // A new ticket: the queue's operators (of its department only); not its author.
    expect(told(created)).toEqual(ids(opA));
    // The watcher who could not see the ticket stopped watching it; the others still watch.
    const { rows: watchers } = await s.ctx.db.execute<{ ticket_id: number; user_id: number }>(
      sql`SELECT ticket_id::float8 AS ticket_id, user_id FROM ticket_watchers WHERE ticket_id IN (${tA.id}, ${tB.id})`,
    );
    expect(watchers.map((w) => [Number(w.ticket_id), w.user_id]).sort()).toEqual(
      [
        [tA.id, opA.id],
        [tB.id, opB.id],
      ].sort(),
    );
    // In-app notifications in each recipient's language, one per event and person.
    const { rows: inApp } = await s.ctx.db.execute<{ n: number }>(sql`
      SELECT count(*)::int AS n FROM notifications
      WHERE event_id = ANY(${idArray(events)})`);
    expect(Number(inApp[0]!.n)).toBe(5);

    // Again, alone or in a batch: nothing more.
    const deliveries = async () =>
      Number(
        (
          await s.ctx.db.execute<{ n: number }>(
            sql`SELECT count(*)::int AS n FROM notification_deliveries WHERE event_id = ANY(${idArray(events)})`,
          )
        ).rows[0]!.n,
      );
    const before = await deliveries();
    expect((await fanOutEvents(s.ctx, [created, publicOnA])).fannedOut).toBe(0);
    expect((await fanOutEvents(s.ctx, [noteOnB])).fannedOut).toBe(0);
    expect(await deliveries()).toBe(before);
  });
});
