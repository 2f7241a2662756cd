import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findActorsByIds } from "../../src/modules/auth/auth.repository.js";
import { listTickets } from "../../src/modules/tickets/tickets.repository.js";
import type { Db } from "../../src/platform/db/index.js";
import { startTestServer, type TTestServer } from "../helpers.js";

let s: TTestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.close();
});

/** The database, recording the text of every statement run through it. */
function recording(db: Db) {
  const statements: string[] = [];
  const proxy = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === "execute") {
        return (query: Parameters<Db["execute"]>[0]) => {
          const q = query as unknown as { queryChunks?: unknown[] };
          statements.push(JSON.stringify(q.queryChunks ?? String(query)));
          return target.execute(query);
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
  return { db: proxy, statements };
}

describe("#tickets.search window", () => {
  it("ranks a common word's first page from one bounded scan of the newest tickets", async () => {
    const admin = await s.createUser({ role: "admin" });
    // 300 matches: more than a window (200), all among the newest ids.
    await s.ctx.db.execute(sql`
      INSERT INTO tickets (title, description, priority_id, queue_id, requester_id)
      SELECT 'Принтер номер ' || g, 'Бумага застряла', (SELECT id FROM priorities LIMIT 1),
             (SELECT id FROM queues LIMIT 1), ${admin.id}
      FROM generate_series(1, 300) g`);
    const [actor] = await findActorsByIds(s.ctx.db, [admin.id]);
    const { db, statements } = recording(s.ctx.db);
    const page = await listTickets(
      db,
      { ...actor!, sessionId: null, apiTokenId: null },
      {
        q: "принтер",
        limit: 25,
        sort: "-created",
      },
    );
    expect(page.rows).toHaveLength(25);
    expect(page.next).not.toBeNull();
    // The window is filled by the scan of the newest ids; the whole-index fallback for rare
    // words (a MATERIALIZED CTE over every match) is not needed. Before the fix the first window
    // started at Number.MAX_SAFE_INTEGER, found nothing there and ranked all matches.
    const fallbacks = statements.filter((q) => q.includes("MATERIALIZED"));
    expect(fallbacks).toEqual([]);
    expect(statements.join("\n")).not.toContain(String(Number.MAX_SAFE_INTEGER));
    // Newest first among equal ranks, and the pages continue without repeats.
    const ids = page.rows.map((r) => Number(r.id));
    expect(new Set(ids).size).toBe(25);
  });
});
