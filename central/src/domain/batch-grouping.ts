import type { StockEvent } from '@stocksync/shared';
import type { StockState } from '../db/stock-repository';

export function groupByStore(events: readonly StockEvent[]): Map<string, StockEvent[]> {
  const groups = new Map<string, StockEvent[]>();
  for (const event of events) {
    const list = groups.get(event.storeId);
    if (list) list.push(event);
    else groups.set(event.storeId, [event]);
  }
  return groups;
}

/** Several events of one (store, sku) in a batch collapse to the newest version before the CAS upsert. */
export function collapseNewest(events: readonly StockEvent[]): StockState[] {
  const newest = new Map<string, StockEvent>();
  for (const event of events) {
    const key = `${event.storeId}\u0000${event.sku}`;
    const current = newest.get(key);
    if (!current || current.version < event.version) newest.set(key, event);
  }
  return [...newest.values()].map(({ storeId, sku, onHand, reserved, version }) => ({
    storeId,
    sku,
    onHand,
    reserved,
    version,
  }));
}
