import { and, eq } from "drizzle-orm";
import type { DbOrTx } from "./db/index.js";
import { idempotencyKeys } from "./db/schema/index.js";
import { AppError } from "./errors.js";
import { type TEmit, type TUnitOfWorkDeps, withTx } from "./unit-of-work.js";

export type TStoredResponse = { statusCode: number; body: unknown };

class ReplayError extends Error {}

/**
 * Runs a create once per (user, scope, key). The key row is written in the same transaction
 * as the create, so a retry after a crash or a timeout either finds the first result or runs
 * the create for the first time; concurrent retries wait on the key's row and replay. The
 * create's events are published once it commits; a replay publishes nothing.
 */
export async function runIdempotent(
  deps: TUnitOfWorkDeps,
  key: { userId: number; scope: string; key: string | undefined },
  create: (tx: DbOrTx, emit: TEmit) => Promise<TStoredResponse>,
): Promise<TStoredResponse & { replayed: boolean }> {
  const { db } = deps;
  if (!key.key) return { ...(await withTx(deps, create)), replayed: false };
  const idemKey = key.key;
  if (idemKey.length > 128 || !/^[\x21-\x7e]+$/.test(idemKey)) {
    throw new AppError("idempotency.bad_key", 400, "Idempotency-Key must be 1-128 visible ASCII characters");
  }
  const find = async () => {
    const [row] = await db
      .select()
      .from(idempotencyKeys)
      .where(
        and(
          eq(idempotencyKeys.userId, key.userId),
          eq(idempotencyKeys.scope, key.scope),
          eq(idempotencyKeys.key, idemKey),
        ),
      );
    return row ? { statusCode: row.statusCode, body: row.response, replayed: true } : undefined;
  };
  const existing = await find();
  if (existing) return existing;
  try {
    const result = await withTx(deps, async (tx, emit) => {
      const [claimed] = await tx
        .insert(idempotencyKeys)
        .values({ userId: key.userId, scope: key.scope, key: idemKey, statusCode: 0, response: {} })
        .onConflictDoNothing()
        .returning({ key: idempotencyKeys.key });
      if (!claimed) throw new ReplayError();
      const response = await create(tx, emit);
      await tx
        .update(idempotencyKeys)
        .set({ statusCode: response.statusCode, response: response.body as object })
        .where(
          and(
            eq(idempotencyKeys.userId, key.userId),
            eq(idempotencyKeys.scope, key.scope),
            eq(idempotencyKeys.key, idemKey),
          ),
        );
      return response;
    });
    return { ...result, replayed: false };
  } catch (error) {
    if (!(error instanceof ReplayError)) throw error;
    const replay = await find();
    if (!replay) throw new AppError("idempotency.in_progress", 409, "A request with this key is in progress");
    return replay;
  }
}
