import type { TChannelAccountAction } from "@helpdesk/contracts";
import type { DbOrTx } from "../platform/db/index.js";
import {
  findChannelAccount,
  setAccountsEnabled,
  type TChannelAccountAdminRow,
} from "./channel-accounts.repository.js";
import { createChannelAccountNotFoundError } from "./channels.errors.js";

/** One account, or 404 `channels.account_not_found`. */
export async function getChannelAccount(db: DbOrTx, id: number): Promise<TChannelAccountAdminRow> {
  const row = await findChannelAccount(db, id);
  if (!row) throw createChannelAccountNotFoundError();
  return row;
}

/**
 * Starts (enables) or stops (disables) one account; the channel runtime starts or stops its
 * receiver within a scan tick. 404 `channels.account_not_found` when there is no such account.
 */
export async function switchChannelAccount(
  db: DbOrTx,
  id: number,
  action: TChannelAccountAction,
): Promise<TChannelAccountAdminRow> {
  const [row] = await setAccountsEnabled(db, [id], action === "start");
  if (!row) throw createChannelAccountNotFoundError();
  return row;
}

/**
 * Starts or stops many accounts in one statement. Ids with no account are reported in
 * `missing`, not refused: another admin may just have removed one.
 */
export async function switchChannelAccounts(
  db: DbOrTx,
  ids: readonly number[],
  action: TChannelAccountAction,
): Promise<{ updated: number; missing: number[]; accounts: TChannelAccountAdminRow[] }> {
  const unique = [...new Set(ids)];
  const rows = await setAccountsEnabled(db, unique, action === "start");
  rows.sort((a, b) => a.id - b.id);
  const found = new Set(rows.map((r) => r.id));
  return {
    updated: rows.length,
    missing: unique.filter((id) => !found.has(id)).sort((a, b) => a - b),
    accounts: rows,
  };
}
