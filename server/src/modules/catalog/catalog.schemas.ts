import { LIMITS, pgText, ZId } from "@helpdesk/contracts";
import { z } from "zod";

const name = pgText().trim().min(1).max(LIMITS.nameMax);
const slug = pgText()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/);

export const ZQueueBody = z.strictObject({
  slug: slug.optional(),
  name_ru: name,
  name_en: name,
  department_id: ZId.nullable().optional(),
  is_active: z.boolean().optional(),
});
export type TQueueBody = z.infer<typeof ZQueueBody>;

export const ZCategoryBody = z.strictObject({
  slug: slug.optional(),
  name_ru: name,
  name_en: name,
  sort_order: z.number().int().min(0).max(100000).optional(),
  is_active: z.boolean().optional(),
});
export type TCategoryBody = z.infer<typeof ZCategoryBody>;

export const ZPriorityBody = z.strictObject({
  slug: slug.optional(),
  name_ru: name,
  name_en: name,
  rank: z.number().int().min(0).max(1000),
  is_active: z.boolean().optional(),
});
export type TPriorityBody = z.infer<typeof ZPriorityBody>;

export const ZDepartmentBody = z.strictObject({
  name_ru: name,
  name_en: name,
  is_active: z.boolean().optional(),
});
export type TDepartmentBody = z.infer<typeof ZDepartmentBody>;

/** The edit body of a kind: every field optional, and the slug is fixed at creation (seed data and code find rows by it). */
export const toPatchBody = <T extends z.ZodObject>(body: T) =>
  z.strictObject(Object.fromEntries(Object.entries(body.shape).filter(([key]) => key !== "slug"))).partial();
