import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TTestServer } from "../helpers.js";

let s: TTestServer;
beforeAll(async () => {
  s = await startTestServer({ jobs: "pg-boss" });
});
afterAll(async () => {
  await s?.close();
});

describe("tickets.archive-sweep on pg-boss", () => {
  it("runs as a queued job and archives closed tickets past the delay", { timeout: 60_000 }, async () => {
    const admin = await s.actor("admin");
    const t = (
      await s.inject({
        method: "POST",
        url: "/api/tickets/",
        headers: admin.headers,
        payload: { title: "Old one" },
      })
    ).json();
    await s.inject({
      method: "PATCH",
      url: `/api/tickets/${t.id}/`,
      headers: admin.headers,
      payload: { status: "closed" },
    });
    await s.ctx.database.executor.executeSql(
      "UPDATE tickets SET closed_at = now() - interval '2 days' WHERE id = $1",
      [t.id],
    );
    await s.ctx.jobs.send("tickets.archive-sweep", {});
    const deadline = Date.now() + 45_000;
    let archivedAt: unknown = null;
    while (Date.now() < deadline && !archivedAt) {
      const { rows } = await s.ctx.database.executor.executeSql(
        "SELECT archived_at FROM tickets WHERE id = $1",
        [t.id],
      );
      archivedAt = rows[0]?.archived_at ?? null;
      if (!archivedAt) await new Promise((r) => setTimeout(r, 250));
    }
    expect(archivedAt).not.toBeNull();
    const { rows } = await s.ctx.database.executor.executeSql(
      "SELECT name, cron FROM pgboss.schedule WHERE name = 'tickets.archive-sweep'",
    );
    expect(rows).toEqual([{ name: "tickets.archive-sweep", cron: "*/5 * * * *" }]);
  });
});
