import { sql } from "drizzle-orm";
import type { Db } from "../../platform/db/index.js";
import { categories, departments, priorities, queues } from "../../platform/db/schema/index.js";

export const SEED_PRIORITIES = [
  { slug: "low", nameRu: "Низкий", nameEn: "Low", rank: 10 },
  { slug: "medium", nameRu: "Средний", nameEn: "Medium", rank: 20 },
  { slug: "high", nameRu: "Высокий", nameEn: "High", rank: 30 },
  { slug: "urgent", nameRu: "Срочный", nameEn: "Urgent", rank: 40 },
];

/** Internal IT and office requests (seed S0's fixtures, generalised). */
export const SEED_CATEGORIES = [
  { slug: "hardware", nameRu: "Оборудование и периферия", nameEn: "Hardware and peripherals" },
  { slug: "software", nameRu: "Программы и лицензии", nameEn: "Software and licences" },
  { slug: "access", nameRu: "Доступы и учётные записи", nameEn: "Access and accounts" },
  { slug: "network", nameRu: "Сеть, интернет, VPN", nameEn: "Network, internet, VPN" },
  { slug: "email", nameRu: "Почта и календарь", nameEn: "E-mail and calendar" },
  { slug: "printing", nameRu: "Печать и сканирование", nameEn: "Printing and scanning" },
  { slug: "telephony", nameRu: "Телефония", nameEn: "Telephony" },
  { slug: "workplace", nameRu: "Рабочее место и офис", nameEn: "Workplace and office" },
  { slug: "billing", nameRu: "Счета и оплата", nameEn: "Invoices and payments" },
  { slug: "other", nameRu: "Другое", nameEn: "Other" },
];

/** Seed S4's queues. */
export const SEED_QUEUES = [
  { slug: "technical-support", nameRu: "Техническая поддержка", nameEn: "Technical support" },
  { slug: "billing", nameRu: "Биллинг", nameEn: "Billing" },
  { slug: "logistics", nameRu: "Логистика", nameEn: "Logistics" },
  { slug: "general", nameRu: "Общие вопросы", nameEn: "General questions" },
  { slug: "email", nameRu: "Вопросы с почты", nameEn: "From e-mail" },
];

export const DEFAULT_QUEUE_SLUG = "general";
export const EMAIL_QUEUE_SLUG = "email";
export const DEFAULT_PRIORITY_SLUG = "medium";

/**
 * Inserts the reference data on first start (and any seed row missing later). Rows the admin
 * renamed or deactivated are left alone.
 */
export async function seedReferenceData(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.insert(priorities).values(SEED_PRIORITIES).onConflictDoNothing({ target: priorities.slug });
    await tx
      .insert(categories)
      .values(SEED_CATEGORIES.map((c, i) => ({ ...c, sortOrder: i * 10 })))
      .onConflictDoNothing({ target: categories.slug });
    const [{ count } = { count: 0 }] = await tx.select({ count: sql<number>`count(*)::int` }).from(queues);
    if (count > 0) return;
    // First start: one service-desk department owns the seed queues, so operators see them.
    const [dept] = await tx
      .insert(departments)
      .values({ nameRu: "Служба поддержки", nameEn: "Service desk" })
      .returning({ id: departments.id });
    await tx
      .insert(queues)
      .values(SEED_QUEUES.map((q) => ({ ...q, departmentId: dept?.id ?? null })))
      .onConflictDoNothing({ target: queues.slug });
  });
}
