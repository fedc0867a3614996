import { type StockEvent, verifyChain } from '@stocksync/shared';
import type Database from 'better-sqlite3';
import { expect } from 'vitest';

type SkuTotals = { sku: string; onHand: number; reserved: number; version: number; lastSeq: number };

/**
 * DESIGN §8.1 on a store's SQLite: for every SKU onHand = Σ ledger deltas, reserved = Σ held
 * reservations = Σ ledger reservedDeltas, version = number of events; available ≥ 0 unless a count
 * recorded a discrepancy; lastSeq = the SKU's latest ledger seq (reconciliation trusts it); ledger seq
 * gapless, every ledger event in the outbox, hash chain intact.
 */
export function expectStoreInvariants(sqlite: Database.Database, storeId = 's1'): void {
  const stock = sqlite
    .prepare('select sku, on_hand as onHand, reserved, version, last_seq as lastSeq from stock')
    .all() as SkuTotals[];
  const ledger = sqlite
    .prepare(
      `select sku, coalesce(sum(delta),0) as onHand, coalesce(sum(reserved_delta),0) as reserved, count(*) as version,
              max(seq) as lastSeq
       from ledger group by sku`,
    )
    .all() as SkuTotals[];
  const held = new Map(
    (
      sqlite
        .prepare(`select sku, sum(qty) as qty from reservations where status = 'held' group by sku`)
        .all() as Array<{
        sku: string;
        qty: number;
      }>
    ).map((r) => [r.sku, r.qty]),
  );
  const bySku = new Map(ledger.map((l) => [l.sku, l]));
  for (const row of stock) {
    const sums = bySku.get(row.sku) ?? { sku: row.sku, onHand: 0, reserved: 0, version: 0, lastSeq: 0 };
    expect(row).toEqual(sums);
    expect(row.reserved).toBe(held.get(row.sku) ?? 0);
  }
  const uncovered = sqlite
    .prepare(
      `select count(*) as n from stock s where s.on_hand < s.reserved and not exists
       (select 1 from discrepancies d where d.sku = s.sku and d.kind = 'reservations_at_risk')`,
    )
    .get() as { n: number };
  expect(uncovered.n).toBe(0);

  const events = readLedger(sqlite, storeId);
  expect(verifyChain(events)).toBeNull();
  const outbox = sqlite.prepare('select seq, payload from outbox order by seq').all() as Array<{
    seq: number;
    payload: string;
  }>;
  expect(outbox.map((o) => o.seq)).toEqual(events.map((e) => e.seq));
  for (const [i, row] of outbox.entries()) expect(JSON.parse(row.payload)).toEqual(events[i]);
}

export function readLedger(sqlite: Database.Database, storeId = 's1'): StockEvent[] {
  const rows = sqlite.prepare('select * from ledger order by seq').all() as Array<
    Record<string, string | number | null>
  >;
  return rows.map((r) => ({
    id: String(r.event_id),
    schema: 1,
    storeId,
    seq: Number(r.seq),
    type: r.type as StockEvent['type'],
    sku: String(r.sku),
    delta: Number(r.delta),
    reservedDelta: Number(r.reserved_delta),
    onHand: Number(r.on_hand),
    reserved: Number(r.reserved),
    version: Number(r.version),
    occurredAt: String(r.occurred_at),
    ...(r.ref !== null ? { ref: String(r.ref) } : {}),
    ...(r.reason !== null ? { reason: String(r.reason) } : {}),
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
  }));
}

/** Everything a bad request must leave untouched, as rows. */
export function snapshotState(sqlite: Database.Database): string {
  const tables = ['stock', 'ledger', 'outbox', 'reservations', 'idempotency_keys', 'discrepancies', 'products'];
  return JSON.stringify(tables.map((t) => sqlite.prepare(`select * from ${t} order by rowid`).all()));
}
