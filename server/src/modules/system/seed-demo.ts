import { eq } from "drizzle-orm";
import type { AppContext } from "../../app-context.js";
import { hashPassword } from "../../platform/crypto.js";
import { analyzeDatabase } from "../../platform/db/index.js";
import { departments, queues, userDepartments, users } from "../../platform/db/schema/index.js";
import { withTx } from "../../platform/unit-of-work.js";
import type { TActor } from "../auth/auth.actor.js";
import { addMessage, assignTicket, createTicket, updateTicket } from "../tickets/tickets.usecases.js";
import { findUserByEmail } from "../users/users.repository.js";
import {
  DEMO_BODIES_EN,
  DEMO_BODIES_RU,
  DEMO_NOTES,
  DEMO_REPLIES_EN,
  DEMO_REPLIES_RU,
  DEMO_SUBJECTS_EN,
  DEMO_SUBJECTS_RU,
} from "./demo-corpus.js";

export const DEMO_PASSWORD = "helpdesk-demo-1";

const PEOPLE = [
  { email: "admin@demo.local", name: "Анна Админова", role: "admin", language: "ru" },
  { email: "operator@demo.local", name: "Олег Диспетчеров", role: "operator", language: "ru" },
  { email: "operator.en@demo.local", name: "Olivia Dispatch", role: "operator", language: "en" },
  { email: "executor@demo.local", name: "Иван Исполнителев", role: "executor", language: "ru" },
  { email: "executor2@demo.local", name: "Мария Техникова", role: "executor", language: "ru" },
  { email: "executor.en@demo.local", name: "Ethan Fixer", role: "executor", language: "en" },
  { email: "accountant@demo.local", name: "Бухгалтер Бухгалтерова", role: "executor", language: "ru" },
  { email: "user@demo.local", name: "Пётр Пользователев", role: "requester", language: "ru" },
  { email: "user2@demo.local", name: "Светлана Сотрудникова", role: "requester", language: "ru" },
  { email: "user3@demo.local", name: "Алексей Менеджеров", role: "requester", language: "ru" },
  { email: "user.en@demo.local", name: "Emma Employee", role: "requester", language: "en" },
  { email: "user2.en@demo.local", name: "Noah Newcomer", role: "requester", language: "en" },
] as const;

/** Deterministic pseudo-random numbers so every demo looks the same. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Fills a realistic demo: users of every role (password DEMO_PASSWORD), departments owning the
 * queues, and `tickets` requests in Russian and English with replies, notes, assignments and
 * closed ones. Safe to run twice: people are reused, tickets are added.
 */
export async function seedDemo(ctx: AppContext, options: { tickets: number }): Promise<string> {
  const { db } = ctx;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const ensureDepartment = async (nameRu: string, nameEn: string) => {
    const [found] = await db.select().from(departments).where(eq(departments.nameEn, nameEn));
    if (found) return found.id;
    const [row] = await db.insert(departments).values({ nameRu, nameEn }).returning({ id: departments.id });
    return row!.id;
  };
  const serviceDesk = await ensureDepartment("Служба поддержки", "Service desk");
  const accounting = await ensureDepartment("Бухгалтерия", "Accounting");
  await db.update(queues).set({ departmentId: accounting }).where(eq(queues.slug, "billing"));

  const ids = new Map<string, number>();
  for (const p of PEOPLE) {
    const existing = await findUserByEmail(db, p.email);
    const [row] = existing
      ? await db
          .update(users)
          .set({ role: p.role, isActive: true })
          .where(eq(users.id, existing.id))
          .returning({ id: users.id })
      : await db
          .insert(users)
          .values({ email: p.email, name: p.name, role: p.role, language: p.language, passwordHash })
          .returning({ id: users.id });
    ids.set(p.email, row!.id);
    const deps =
      p.role === "requester"
        ? []
        : p.email === "accountant@demo.local"
          ? [accounting]
          : [serviceDesk, ...(p.role === "admin" || p.email === "operator@demo.local" ? [accounting] : [])];
    for (const d of deps)
      await db.insert(userDepartments).values({ userId: row!.id, departmentId: d }).onConflictDoNothing();
  }

  const actorOf = async (email: string): Promise<TActor> => {
    const { rows } = await ctx.database.executor.executeSql(
      `SELECT u.id, u.role, u.email, u.name, u.language,
        coalesce((SELECT array_agg(department_id) FROM user_departments WHERE user_id = u.id), '{}') AS d,
        coalesce((SELECT array_agg(q.id) FROM queues q JOIN user_departments ud ON ud.department_id = q.department_id WHERE ud.user_id = u.id), '{}') AS q
       FROM users u WHERE u.id = $1`,
      [ids.get(email)],
    );
    const r = rows[0] as {
      id: number;
      role: TActor["role"];
      email: string;
      name: string;
      language: "ru" | "en";
      d: number[];
      q: number[];
    };
    return {
      id: r.id,
      role: r.role,
      email: r.email,
      name: r.name,
      language: r.language,
      departmentIds: r.d,
      queueIds: r.q,
      sessionId: null,
      apiTokenId: null,
    };
  };
  const requesters = await Promise.all(
    PEOPLE.filter((p) => p.role === "requester").map((p) => actorOf(p.email)),
  );
  const executors = await Promise.all(
    ["executor@demo.local", "executor2@demo.local", "executor.en@demo.local"].map((e) => actorOf(e)),
  );
  const operator = await actorOf("operator@demo.local");
  const queueRows = await db.select().from(queues);
  const generalQueues = queueRows.filter((q) => q.slug !== "billing");
  const random = rng(42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

  let made = 0;
  for (let i = 0; i < options.tickets; i++) {
    const requester = pick(requesters);
    const en = requester.language === "en";
    const subjectIndex = Math.floor(random() * DEMO_SUBJECTS_RU.length);
    const id = await withTx(ctx, (tx, emit) =>
      createTicket(tx, emit, requester, {
        title: (en ? DEMO_SUBJECTS_EN : DEMO_SUBJECTS_RU)[subjectIndex]!,
        description: pick(en ? DEMO_BODIES_EN : DEMO_BODIES_RU),
        priority_id: 1 + Math.floor(random() * 4),
        category_id: 1 + Math.floor(random() * 10),
        queue_id: pick(generalQueues).id,
        attachment_ids: [],
      }),
    );
    made++;
    const stage = random();
    if (stage < 0.25) continue; // new, unassigned
    const executor = pick(executors);
    await assignTicket(ctx, operator, id, executor.id);
    const replies = en ? DEMO_REPLIES_EN : DEMO_REPLIES_RU;
    await withTx(ctx, (tx, emit) =>
      addMessage(tx, emit, executor, {
        ticketId: id,
        text: replies[0]!,
        isInternal: false,
        attachmentIds: [],
      }),
    );
    if (random() < 0.3) {
      await withTx(ctx, (tx, emit) =>
        addMessage(tx, emit, executor, {
          ticketId: id,
          text: pick(DEMO_NOTES),
          isInternal: true,
          attachmentIds: [],
        }),
      );
    }
    if (stage < 0.5) {
      await updateTicket(ctx, executor, id, { status: "in_progress" });
    } else if (stage < 0.65) {
      await withTx(ctx, (tx, emit) =>
        addMessage(tx, emit, executor, {
          ticketId: id,
          text: replies[1]!,
          isInternal: false,
          attachmentIds: [],
        }),
      );
      await updateTicket(ctx, executor, id, { status: "waiting_for_client" });
    } else {
      await withTx(ctx, (tx, emit) =>
        addMessage(tx, emit, requester, {
          ticketId: id,
          text: replies[3]!,
          isInternal: false,
          attachmentIds: [],
        }),
      );
      await updateTicket(ctx, executor, id, { status: "closed" });
    }
  }
  // Fresh statistics for the planner: PGlite has no autovacuum to gather them.
  await analyzeDatabase(ctx.database);
  return `Demo ready: ${PEOPLE.length} people (password "${DEMO_PASSWORD}"), ${made} new tickets. Sign in as admin@demo.local, operator@demo.local, executor@demo.local or user@demo.local.`;
}
