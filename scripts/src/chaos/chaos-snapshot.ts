import { join } from 'node:path';
import { ledgerEntryToEvent, type StockEvent } from '@stocksync/shared';
import Database from 'better-sqlite3';
import type pg from 'pg';
import type { StockState } from '../../../store-node/src/db/repositories/ledger-repository';
import type { ledger } from '../../../store-node/src/db/schema';

export type { StockState };
/** A ledger row as both sides store it (the store's columns; central adds storeId). */
export type LedgerEvent = Omit<typeof ledger.$inferSelect, 'occurredAt' | 'reason'>;
export type Hold = { id: string; sku: string; qty: number; status: string; source: string; orderRef: string | null };
export type TransferView = {
  id: string;
  sku: string;
  from: string;
  to: string;
  status: string;
  shippedQty: number | null;
  receivedQty: number | null;
};
export type CatalogEntry = { name: string; price: string; active: boolean };

export type StoreSnapshot = {
  id: string;
  stock: Map<string, StockState>;
  ledger: LedgerEvent[];
  /** The ledger as the envelopes it published, to re-verify the hash chain from scratch. */
  events: StockEvent[];
  holds: Map<string, Hold>;
  transfers: Map<string, TransferView>;
  products: Map<string, CatalogEntry>;
};

export type CentralSnapshot = {
  cursors: Map<string, { lastSeq: number }>;
  stock: Map<string, StockState>;
  ledger: (LedgerEvent & { storeId: string })[];
  openChainBreaks: number;
  /** What reconciliation found different from a store (it ran every second during the run): none may be. */
  projectionDrift: string[];
  /** (store, SKU)s whose open alerts disagree with the low-stock rule on the final state: none may. */
  alertMismatches: string[];
  /** Open alerts at the end: shows the alert check is not vacuous. */
  openAlerts: number;
  reservations: Map<string, Hold & { storeId: string }>;
  transfers: Map<string, TransferView>;
  shortfalls: Map<string, number>;
  products: Map<string, CatalogEntry>;
};

/** "5.0000" and "5" are the same price: compare decimals without trailing zeros. */
export const normalizePrice = (price: string) => (price.includes('.') ? price.replace(/\.?0+$/, '') : price);
export const stockKey = (storeId: string, sku: string) => `${storeId}/${sku}`;

type LedgerRow = typeof ledger.$inferSelect;

/** Reads a running store's SQLite read-only (WAL lets it keep writing), as an auditor would. */
export function readStore(storeId: string, dataDir: string): StoreSnapshot {
  const db = new Database(join(dataDir, `store-${storeId}.sqlite`), { readonly: true, fileMustExist: true });
  try {
    const read = db.transaction(() => {
      const stock = db.prepare('select sku, on_hand as onHand, reserved, version from stock').all() as ({
        sku: string;
      } & StockState)[];
      const ledger = db
        .prepare(
          `select event_id as eventId, seq, type, sku, delta, reserved_delta as reservedDelta, on_hand as onHand,
                  reserved, version, occurred_at as occurredAt, ref, reason, prev_hash as prevHash, hash
           from ledger order by seq`,
        )
        .all() as LedgerRow[];
      const holds = db
        .prepare('select id, sku, qty, status, source, order_ref as orderRef from reservations')
        .all() as Hold[];
      const transfers = db
        .prepare(
          `select id, sku, from_store_id as "from", to_store_id as "to", status, shipped_qty as shippedQty,
                  received_qty as receivedQty from transfers`,
        )
        .all() as TransferView[];
      const products = db.prepare('select sku, name, price, active from products').all() as {
        sku: string;
        name: string;
        price: string;
        active: number;
      }[];
      return { stock, ledger, holds, transfers, products };
    });
    const rows = read();
    const events = rows.ledger.map((row) => ledgerEntryToEvent(storeId, row));
    return {
      id: storeId,
      stock: new Map(rows.stock.map(({ sku, ...state }) => [sku, state])),
      ledger: rows.ledger,
      events,
      holds: new Map(rows.holds.map((h) => [h.id, h])),
      transfers: new Map(rows.transfers.map((t) => [t.id, t])),
      products: new Map(
        rows.products.map((p) => [p.sku, { name: p.name, price: normalizePrice(p.price), active: p.active === 1 }]),
      ),
    };
  } finally {
    db.close();
  }
}

/** Central's database in one repeatable-read transaction, so every table shows the same moment. */
export async function readCentral(pool: pg.Pool): Promise<CentralSnapshot> {
  const client = await pool.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    const q = async <T extends pg.QueryResultRow>(sql: string) => (await client.query<T>(sql)).rows;
    const cursors = await q<{ store_id: string; last_seq: string }>('select store_id, last_seq from stores');
    const stock = await q<{ store_id: string; sku: string } & StockState>(
      'select store_id, sku, on_hand as "onHand", reserved, version from stock',
    );
    const ledger = await q<LedgerEvent & { storeId: string }>(
      `select event_id as "eventId", store_id as "storeId", seq::int as seq, type, sku, delta,
              reserved_delta as "reservedDelta", on_hand as "onHand", reserved, version, ref, hash,
              prev_hash as "prevHash" from ledger order by store_id, seq`,
    );
    const breaks = await q<{ n: number }>('select count(*)::int as n from chain_breaks where resolved_at is null');
    const drift = await q<{ store_id: string; sku: string; expected: number; actual: number; ref: string }>(
      `select store_id, sku, expected, actual, ref from discrepancies where kind = 'projection_drift' order by id`,
    );
    const reservations = await q<Hold & { storeId: string }>(
      `select id, store_id as "storeId", sku, qty, status, 'central' as source, order_ref as "orderRef"
       from reservations`,
    );
    const transfers = await q<TransferView>(
      `select id, sku, from_store_id as "from", to_store_id as "to", status, shipped_qty as "shippedQty",
              received_qty as "receivedQty" from transfers`,
    );
    const shortfalls = await q<{ ref: string; short: number }>(
      `select ref, sum(expected - actual)::int as short from discrepancies
       where kind = 'transfer_short' group by ref`,
    );
    const products = await q<{ sku: string; name: string; price: string; active: boolean }>(
      'select sku, name, price::text as price, active from products',
    );
    // The rule of stocksync_low_stock on each final row: exactly one open alert iff an active product's
    // available is below its effective minimum.
    const alerts = await q<{
      store_id: string;
      sku: string;
      available: number;
      min: number;
      low: boolean;
      open: number;
    }>(
      `select s.store_id, s.sku, s.on_hand - s.reserved as available, coalesce(s.min_stock, p.default_min_stock, 0) as min,
              coalesce(p.active, true) and s.on_hand - s.reserved < coalesce(s.min_stock, p.default_min_stock, 0) as low,
              (select count(*)::int from alerts a where a.store_id = s.store_id and a.sku = s.sku and a.status = 'open') as open
       from stock s left join products p on p.sku = s.sku`,
    );
    await client.query('rollback');
    return {
      cursors: new Map(cursors.map((c) => [c.store_id, { lastSeq: Number(c.last_seq) }])),
      stock: new Map(stock.map(({ store_id, sku, ...state }) => [stockKey(store_id, sku), state])),
      ledger,
      openChainBreaks: breaks[0]?.n ?? 0,
      projectionDrift: drift.map((d) => `${d.store_id}/${d.sku}: store ${d.expected}, central ${d.actual} (${d.ref})`),
      alertMismatches: alerts
        .filter((a) => a.open !== (a.low ? 1 : 0))
        .map((a) => `${a.store_id}/${a.sku}: available ${a.available}, min ${a.min}, ${a.open} open alert(s)`),
      openAlerts: alerts.reduce((n, a) => n + a.open, 0),
      reservations: new Map(reservations.map((r) => [r.id, r])),
      transfers: new Map(transfers.map((t) => [t.id, t])),
      shortfalls: new Map(shortfalls.map((s) => [s.ref, s.short])),
      products: new Map(
        products.map((p) => [p.sku, { name: p.name, price: normalizePrice(p.price), active: p.active }]),
      ),
    };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
