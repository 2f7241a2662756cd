import { LIMITS, pgText, ZId } from "@helpdesk/contracts";
import { z } from "zod";

const name = pgText().trim().min(1).max(LIMITS.nameMax);
const slug = pgText()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/);

/** What every kind has: a name in both languages and an active flag. */
const named = { name_ru: name, name_en: name, is_active: z.boolean().optional() };
/** ...and, except departments, a slug (made from the English name when left out). */
const slugged = { slug: slug.optional(), ...named };

export const ZQueueBody = z.strictObject({ ...slugged, department_id: ZId.nullable().optional() });
export type TQueueBody = z.infer<typeof ZQueueBody>;

export const ZCategoryBody = z.strictObject({
  ...slugged,
  sort_order: z.number().int().min(0).max(100000).optional(),
});
export type TCategoryBody = z.infer<typeof ZCategoryBody>;

export const ZPriorityBody = z.strictObject({ ...slugged, rank: z.number().int().min(0).max(1000) });
export type TPriorityBody = z.infer<typeof ZPriorityBody>;

export const ZDepartmentBody = z.strictObject(named);
export type TDepartmentBody = z.infer<typeof ZDepartmentBody>;

/** The edit body of a kind: every field optional, and the slug is fixed at creation (seed data and code find rows by it). */
export const toPatchBody = <T extends z.ZodObject>(body: T) =>
  z.strictObject(Object.fromEntries(Object.entries(body.shape).filter(([key]) => key !== "slug"))).partial();
