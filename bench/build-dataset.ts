/**
 * Builds a realistic data set straight in SQL: people of every role and N tickets with
 * Russian/English text, replies, assignments and closed ones spread over a year.
 *   tsx build-dataset.ts --tickets 100000 [--database-url postgres://…] [--data-dir DIR]
 */
import { parseArgs } from "node:util";
import { seedReferenceData } from "../server/src/modules/catalog/catalog.seed.js";
import {
  DEMO_BODIES_EN,
  DEMO_BODIES_RU,
  DEMO_REPLIES_EN,
  DEMO_REPLIES_RU,
  DEMO_SUBJECTS_EN,
  DEMO_SUBJECTS_RU,
} from "../server/src/modules/system/demo-corpus.js";
import { hashPassword } from "../server/src/platform/crypto.js";
import { type Database, openDatabase } from "../server/src/platform/db/index.js";

export const BENCH_PASSWORD = "bench-password-123";
export const BENCH_ADMIN = "bench-admin@example.com";

const sqlArray = (items: string[]) => `ARRAY[${items.map((s) => `'${s.replaceAll("'", "''")}'`).join(",")}]`;

/** Fills the database; returns the time it took in ms. */
export async function buildDataset(
  database: Database,
  tickets: number,
  log = (m: string) => process.stdout.write(`${m}\n`),
) {
  const started = Date.now();
  await database.migrate();
  await seedReferenceData(database.db);
  const run = (text: string, values?: unknown[]) => database.executor.executeSql(text, values);
  const hash = await hashPassword(BENCH_PASSWORD);
  await run(
    `INSERT INTO users (email, name, role, password_hash, language)
     SELECT 'bench-admin@example.com', 'Bench Admin', 'admin', $1, 'en' WHERE NOT EXISTS (SELECT 1 FROM users WHERE email = 'bench-admin@example.com')`,
    [hash],
  );
  await run(
    `INSERT INTO users (email, name, role, password_hash, language)
     SELECT 'staff' || g || '@bench.local', 'Сотрудник ' || g, CASE WHEN g <= 10 THEN 'operator' ELSE 'executor' END, $1,
            CASE WHEN g % 3 = 0 THEN 'en' ELSE 'ru' END
     FROM generate_series(1, 60) g`,
    [hash],
  );
  await run(
    `INSERT INTO user_departments (user_id, department_id) SELECT id, 1 FROM users WHERE email LIKE 'staff%@bench.local' ON CONFLICT DO NOTHING`,
  );
  await run(
    `INSERT INTO users (email, name, role, password_hash, language)
     SELECT 'user' || g || '@bench.local', 'Пользователь ' || g, 'requester', $1, CASE WHEN g % 3 = 0 THEN 'en' ELSE 'ru' END
     FROM generate_series(1, 5000) g`,
    [hash],
  );
  const subjects = sqlArray([...DEMO_SUBJECTS_RU, ...DEMO_SUBJECTS_EN]);
  const bodies = sqlArray([...DEMO_BODIES_RU, ...DEMO_BODIES_EN]);
  const replies = sqlArray([...DEMO_REPLIES_RU, ...DEMO_REPLIES_EN]);
  const { rows } = await run(
    `SELECT min(id) AS lo, max(id) AS hi FROM users WHERE email LIKE 'user%@bench.local'`,
  );
  const { rows: ex } = await run(
    `SELECT min(id) AS lo, max(id) AS hi FROM users WHERE role = 'executor' AND email LIKE 'staff%'`,
  );
  const [r, e] = [rows[0]!, ex[0]!];
  const batch = 10_000;
  for (let done = 0; done < tickets; done += batch) {
    const n = Math.min(batch, tickets - done);
    await run(`
      INSERT INTO tickets (title, description, status, priority_id, category_id, queue_id, requester_id, assignee_id,
                           source, created_at, updated_at, closed_at, first_response_at, archived_at)
      SELECT s.subject || ' #' || (g + ${done}), s.body || ' ' || s.subject, s.status,
             1 + (g % 4), 1 + (g % 10), 1 + (g % 5),
             ${r.lo} + ((g * 7919) % (${r.hi} - ${r.lo} + 1)),
             CASE WHEN s.status = 'open' AND g % 2 = 0 THEN NULL ELSE ${e.lo} + ((g * 104729) % (${e.hi} - ${e.lo} + 1)) END,
             'web', s.created, s.created, CASE WHEN s.status = 'closed' THEN s.created + interval '1 day' END,
             CASE WHEN s.status <> 'open' THEN s.created + interval '1 hour' END,
             CASE WHEN s.status = 'closed' AND s.created < now() - interval '3 days' THEN s.created + interval '2 days' END
      FROM generate_series(1, ${n}) g,
      LATERAL (SELECT
        (${subjects})[1 + ((g + ${done}) % ${DEMO_SUBJECTS_RU.length * 2})] AS subject,
        (${bodies})[1 + ((g * 31 + ${done}) % ${DEMO_BODIES_RU.length * 2})] AS body,
        (ARRAY['open','in_progress','waiting_for_client','closed','closed','closed'])[1 + ((g * 13) % 6)] AS status,
        -- Ids grow with time, as in a real helpdesk: the newest ticket has the highest id.
        now() - ((${tickets} - (g + ${done})) * interval '1 second' * (31536000.0 / ${tickets})) AS created
      ) s`);
    await run(`
      INSERT INTO ticket_messages (ticket_id, author_id, body, created_at)
      SELECT t.id, coalesce(t.assignee_id, t.requester_id), (${replies})[1 + (t.id % ${DEMO_REPLIES_RU.length * 2})], t.created_at + interval '2 hours'
      FROM tickets t WHERE t.id > (SELECT coalesce(max(id), 0) - ${n} FROM tickets) AND t.id % 2 = 0`);
    log(`  ${done + n} / ${tickets} tickets`);
  }
  await run("ANALYZE");
  return Date.now() - started;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      tickets: { type: "string", default: "100000" },
      "database-url": { type: "string" },
      "data-dir": { type: "string", default: "./bench-data" },
    },
  });
  // Bulk inserts may outlast the app's statement timeout.
  const database = await openDatabase({
    databaseUrl: values["database-url"],
    dataDir: values["data-dir"]!,
    pool: { statementTimeoutMs: 0 },
  });
  const ms = await buildDataset(database, Number(values.tickets));
  await database.close();
  process.stdout.write(`built ${values.tickets} tickets in ${(ms / 1000).toFixed(1)} s\n`);
}
