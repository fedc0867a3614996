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
  const result = await db.execute(sql`
    with touched as (
      select t."storeId" as store_id, t.sku, t.available, t.at
      from json_to_recordset(${JSON.stringify(touched)}::json)
        as t("storeId" text, sku text, available int4, at timestamptz)
    ), limits as (
      select t.store_id, t.sku, t.available, t.at, coalesce(s.min_stock, p.default_min_stock, 0) as min_stock
      from touched t
      left join stock s on s.store_id = t.store_id and s.sku = t.sku
      left join products p on p.sku = t.sku
    ), opened as (
      insert into alerts (store_id, sku, status, available, min_stock, opened_at)
      select store_id, sku, 'open', available, min_stock, at from limits where available < min_stock
      on conflict (store_id, sku) where status = 'open' do nothing
      returning id, store_id, sku, status, available, min_stock, opened_at, resolved_at
    ), resolved as (
      update alerts a set status = 'resolved', resolved_at = greatest(l.at, a.opened_at), available = l.available
      from limits l
      where a.store_id = l.store_id and a.sku = l.sku and a.status = 'open' and l.available >= l.min_stock
      returning a.id, a.store_id, a.sku, a.status, a.available, a.min_stock, a.opened_at, a.resolved_at
    )
    select * from opened union all select * from resolved order by id`);
  return rowsOf<AlertRowRaw>(result).map(alertMessage);
}

/** Apply hook: alerts change in the apply transaction; `publish` runs only after it commits. */
export function lowStockApplyHook(publish: (changed: AlertMessage[]) => void | Promise<void>): ApplyHook {
  return async (tx, applied) => {
    const changed = await evaluateLowStock(tx, touchedStock(applied));
    return changed.length > 0 ? () => publish(changed) : undefined;
  };
}
