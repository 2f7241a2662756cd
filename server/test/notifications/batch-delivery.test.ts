import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverNotifications } from "../../src/modules/notifications/notifications.deliver.js";
import { startTestServer, type TTestServer } from "../helpers.js";

let s: TTestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.close();
});

describe("#notifications batch delivery", () => {
  it("checks every delivery of a batch on its own: only those who may see the ticket get mail", async () => {
    const requester = await s.actor("requester");
    const stranger = await s.actor("requester");
    const staff = await s.actor("operator");
    const gone = await s.actor("operator");
    const t = (
      await s.inject({
        method: "POST",
        url: "/api/tickets/",
        headers: requester.headers,
        payload: { title: "Batch of four" },
      })
    ).json() as { id: number };
    const { rows: ev } = await s.ctx.db.execute<{ id: number }>(
      sql`SELECT id::float8 AS id FROM ticket_events WHERE ticket_id = ${t.id} ORDER BY id LIMIT 1`,
    );
    const eventId = Number(ev[0]!.id);
    await s.ctx.db.execute(sql`UPDATE users SET is_active = false WHERE id = ${gone.id}`);
    // Rows as a fan-out might have written them, one of them for someone who never could see it.
    const ids: number[] = [];
    for (const userId of [requester.id, stranger.id, staff.id, gone.id]) {
      const { rows } = await s.ctx.db.execute<{ id: number }>(sql`
        INSERT INTO notification_deliveries (event_id, user_id, channel, kind, ticket_id)
        VALUES (${eventId}, ${userId}, 'email', 'ticket_created', ${t.id})
        ON CONFLICT (event_id, user_id, channel) DO UPDATE SET status = 'queued', attempts = 0
        RETURNING id::float8 AS id`);
      ids.push(Number(rows[0]!.id));
    }
    const before = await s.ctx.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM email_outbox`);
    const { retry } = await deliverNotifications(s.ctx, ids);
    expect(retry.size).toBe(0);
    const { rows } = await s.ctx.db.execute<{ user_id: number; status: string; last_error: string | null }>(
      sql`SELECT user_id, status, last_error FROM notification_deliveries WHERE id = ANY(${sql.raw(`'{${ids.join(",")}}'::bigint[]`)})`,
    );
    const order = [requester.id, stranger.id, staff.id, gone.id];
    rows.sort((a, b) => order.indexOf(a.user_id) - order.indexOf(b.user_id));
    expect(rows).toEqual([
      { user_id: requester.id, status: "sent", last_error: null },
      { user_id: stranger.id, status: "skipped", last_error: "the recipient may no longer see this ticket" },
      { user_id: staff.id, status: "sent", last_error: null },
      { user_id: gone.id, status: "skipped", last_error: "the recipient is deactivated" },
    ]);
    const after = await s.ctx.db.execute<{ to: string }>(
      sql`SELECT "to" FROM email_outbox ORDER BY id OFFSET ${Number(before.rows[0]!.n)}`,
    );
    expect(after.rows.map((r) => r.to).sort()).toEqual([requester.email, staff.email].sort());
    // Sent once: running the batch again sends nothing more.
    await deliverNotifications(s.ctx, ids);
    const again = await s.ctx.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM email_outbox`);
    expect(Number(again.rows[0]!.n)).toBe(Number(before.rows[0]!.n) + 2);
  });
});
