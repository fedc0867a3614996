import type { AlertMessage, StockEvent } from '@stocksync/shared';
import { sql } from 'drizzle-orm';
import { type Database, rowsOf } from '../db/database';
import type { ApplyHook } from './apply-batch';

/** A (store, sku) whose availability just changed. */
export type TouchedStock = { storeId: string; sku: string; available: number; at: string };

type AlertRowRaw = {
  id: string | number;
  store_id: string;
  sku: string;
  status: 'open' | 'resolved';
  available: number;
  min_stock: number;
  opened_at: Date | string;
  resolved_at: Date | string | null;
};

const isoOf = (value: Date | string) => new Date(value).toISOString();

export function alertMessage(row: AlertRowRaw): AlertMessage {
  return {
    id: String(row.id),
    storeId: row.store_id,
    sku: row.sku,
    status: row.status,
    available: Number(row.available),
    minStock: Number(row.min_stock),
    openedAt: isoOf(row.opened_at),
    resolvedAt: row.resolved_at === null ? null : isoOf(row.resolved_at),
  };
}

/** The newest state of every (store, sku) in a batch: what an alert compares against. */
export function touchedStock(applied: readonly StockEvent[]): TouchedStock[] {
  const newest = new Map<string, StockEvent>();
  for (const e of applied) {
    const key = `${e.storeId}\u0000${e.sku}`;
    const seen = newest.get(key);
    if (!seen || seen.version < e.version) newest.set(key, e);
  }
  return [...newest.values()].map((e) => ({
    storeId: e.storeId,
    sku: e.sku,
    available: e.onHand - e.reserved,
    at: e.occurredAt,
  }));
}

/**
 * Opens an alert when available < min (per-store min, else the product default, else 0) and none is open,
 * resolves the open one when available ≥ min: one alert per crossing, enforced by the partial unique
 * index alerts_one_open_uq. One statement; returns the alerts that changed.
 */
export async function evaluateLowStock(db: Database, touched: readonly TouchedStock[]): Promise<AlertMessage[]> {
  if (touched.length === 0) return [];
  // The rule lives in SQL (stocksync_low_stock, migrations 0003 and 0004), shared with the one-statement fast path.
  const result = await db.execute(sql`select * from stocksync_low_stock(${JSON.stringify(touched)}::json)`);
  return rowsOf<AlertRowRaw>(result).map(alertMessage);
}

/**
 * Re-evaluates the alerts of `skus` (at one store, or at every store that has them) against central's
 * projection as it is now: a new minimum, or a row repaired by reconciliation, changes what "below" means
 * without any event. Run it in the transaction that changed the minimum, after that update: it holds the
 * stock rows' locks, so an apply racing it evaluates after it commits, against the new minimum.
 */
export async function reevaluateLowStock(
  db: Database,
  skus: readonly string[],
  storeId?: string,
): Promise<AlertMessage[]> {
  if (skus.length === 0) return [];
  const atStore = storeId === undefined ? sql`` : sql`and s.store_id = ${storeId}`;
  const result = await db.execute(sql`
    select * from stocksync_low_stock((
      select coalesce(json_agg(json_build_object('storeId', s.store_id, 'sku', s.sku,
                                                 'available', s.on_hand - s.reserved, 'at', now())), '[]'::json)
      from stock s where s.sku in ${skus} ${atStore}))`);
  return rowsOf<AlertRowRaw>(result).map(alertMessage);
}

/** Apply hook: alerts change in the apply transaction; `publish` runs only after it commits. */
export function lowStockApplyHook(publish: (changed: AlertMessage[]) => void | Promise<void>): ApplyHook {
  const after = (changed: AlertMessage[]) => (changed.length > 0 ? () => publish(changed) : undefined);
  const hook = async (tx: Database, applied: readonly StockEvent[]) =>
    after(await evaluateLowStock(tx, touchedStock(applied)));
  return Object.assign(hook, { lowStock: after });
}
