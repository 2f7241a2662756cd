import { type TSettings, ZSettings } from "@helpdesk/contracts";
import { sql } from "drizzle-orm";
import type { Db } from "../../platform/db/index.js";
import { settings } from "../../platform/db/schema/index.js";

export const DEFAULT_SETTINGS: TSettings = {
  allowed_email_domain: null,
  auto_hide_hours: 24,
  default_language: "ru",
  organisation_name: "Helpdesk",
};

const CACHE_MS = 5000;

/**
 * Admin settings stored as one row per key. Reads are cached briefly per process; every
 * instance sees a change within CACHE_MS.
 */
export function createSettingsService(deps: { db: Db; envAllowedDomain: string | undefined }) {
  let cache: { value: TSettings; at: number } | undefined;

  const read = async (): Promise<TSettings> => {
    if (cache && Date.now() - cache.at < CACHE_MS) return cache.value;
    const rows = await deps.db.select().from(settings);
    const merged: Record<string, unknown> = { ...DEFAULT_SETTINGS };
    for (const row of rows) if (row.key in DEFAULT_SETTINGS) merged[row.key] = row.value;
    const parsed = ZSettings.safeParse(merged);
    const value = parsed.success ? parsed.data : DEFAULT_SETTINGS;
    cache = { value, at: Date.now() };
    return value;
  };

  return {
    get: read,
    /** The domain that limits self-registration: the env var wins over the admin setting. */
    async allowedEmailDomain(): Promise<string | null> {
      return deps.envAllowedDomain ?? (await read()).allowed_email_domain;
    },
    async update(patch: Partial<TSettings>): Promise<TSettings> {
      const entries = Object.entries(patch).filter(([, v]) => v !== undefined);
      if (entries.length > 0) {
        await deps.db
          .insert(settings)
          // A cleared setting is stored as JSON null (the column itself is NOT NULL).
          .values(
            entries.map(([key, value]) => ({ key, value: value === null ? sql`'null'::jsonb` : value })),
          )
          .onConflictDoUpdate({
            target: settings.key,
            set: { value: sql`excluded.value`, updatedAt: sql`now()` },
          });
      }
      cache = undefined;
      return read();
    },
    envOverrides: { allowed_email_domain: deps.envAllowedDomain !== undefined },
  };
}
export type SettingsService = ReturnType<typeof createSettingsService>;
