import type { StockEvent } from '@stocksync/shared';
import type { StoreDb } from '../db/db-plugin';
import { createIdempotencyRepository } from '../db/repositories/idempotency-repository';
import { createLedgerRepository } from '../db/repositories/ledger-repository';
import {
  createReservationRepository,
  type ReservationRecord,
  type ReservationStatus,
} from '../db/repositories/reservation-repository';
import { createStockRepository, type StockRow } from '../db/repositories/stock-repository';
import { createTransferRepository, type TransferRecord } from '../db/repositories/transfer-repository';
import type { idempotencyKeys } from '../db/schema';

/** What a forked file holds that central does not: its events after the common seq, and the holds they made. */
export type ForkedHistory = {
  commonSeq: number;
  events: StockEvent[];
  /** Reservation rows of the fork's `reservation.held` events, as the forked file kept them (TTL included). */
  holds: ReservationRecord[];
  /** Every hold's expiry in the forked file: a rebuilt store knows a POS hold's TTL only from here. */
  expiries: Array<{ id: string; expiresAtMs: number }>;
  /**
   * The forked file's idempotency records. A POS retrying a request the fork answered must get that
   * answer again, not a second sale: the ids in it (sale, hold) are the refs the re-entry keeps.
   */
  idempotency: IdempotencyRecord[];
};

type IdempotencyRecord = typeof idempotencyKeys.$inferSelect;

/** One fork event that does not fit on central's history, and why. */
export type ReentryConflict = {
  seq: number;
  eventId: string;
  type: string;
  sku: string;
  /** The sale, hold or transfer id the POS was given: a hold left out answers 404 under it. */
  ref: string | null;
  problem: string;
};
/** Where each fork event went: its seq and id on the fork, its new seq and id in the re-entered chain. */
export type ReentryMapping = { forkSeq: number; forkEventId: string; seq: number; eventId: string };

/** `skipped`: misfits left out (only with skipMisfits): each SKU named there needs a count. */
export type ReentryOutcome = {
  mapping: ReentryMapping[];
  skipped: ReentryConflict[];
  /**
   * SKUs counted on the fork that central's history also moved after the backup: the fork computed the
   * count's delta on a view without those movements, so the re-entered stock is off by them. Recount.
   */
  recount: string[];
};

export class ForkReentryConflictError extends Error {
  override name = 'ForkReentryConflictError';
  constructor(readonly conflicts: ReentryConflict[]) {
    super(
      `${conflicts.length} event(s) of the fork do not fit on central's history, so none was re-entered: ` +
        conflicts.map((c) => `seq ${c.seq} ${c.type} ${c.sku}: ${c.problem}`).join('; '),
    );
  }
}

/** Reads the fork (seq > commonSeq) and the holds it made from the forked store's own database. */
export function readForkedHistory(db: StoreDb, storeId: string, commonSeq: number): ForkedHistory {
  const ledger = createLedgerRepository(db, storeId, Date.now);
  const reservations = createReservationRepository(db);
  const events: StockEvent[] = [];
  for (let from = commonSeq + 1; ; ) {
    const page = ledger.range(from, Number.MAX_SAFE_INTEGER, 1000);
    events.push(...page);
    if (page.length < 1000) break;
    from = page.at(-1)!.seq + 1;
  }
  const holds = events
    .filter((e) => e.type === 'reservation.held' && e.ref !== undefined)
    .map((e) => reservations.find(e.ref!))
    .filter((r): r is ReservationRecord => r !== undefined);
  const expiries = db.$client
    .prepare<[], { id: string; expiresAtMs: number }>('SELECT id, expires_at_ms AS expiresAtMs FROM reservations')
    .all();
  const idempotency = db.$client
    .prepare<[], IdempotencyRecord>(
      `SELECT key, request_hash AS requestHash, status_code AS statusCode, response, created_at_ms AS createdAtMs
       FROM idempotency_keys`,
    )
    .all();
  return { commonSeq, events, holds, expiries, idempotency };
}

const CLOSED_BY: Partial<Record<StockEvent['type'], ReservationStatus>> = {
  'reservation.confirmed': 'confirmed',
  'reservation.released': 'released',
  'reservation.expired': 'expired',
};

/**
 * Seals the fork's movements again after central's head, in their order, on a store rebuilt from
 * central: the same type, SKU, delta, reserved delta, ref (the sale, hold or transfer id the POS got)
 * and reason, at the time they happened (after every event central holds: the fork began when the
 * backup came back). Each must fit the state it meets, as the node itself would check it: no sale,
 * hold or shipment beyond what is available, no stock below zero, a hold closed only while held, a
 * transfer shipped only while requested and received only while in transit. One transaction: if any
 * event does not fit, none is re-entered and every misfit is reported; with `skipMisfits` the others
 * are, and the misfits come back for a count of their SKUs (each later event is checked against the
 * state without them). The caller runs it before the node starts, so no new sale comes in between.
 */
export function reenterFork(
  db: StoreDb,
  storeId: string,
  fork: ForkedHistory,
  opts: { skipMisfits?: boolean } = {},
): ReentryOutcome {
  let at = 0;
  const ledger = createLedgerRepository(db, storeId, () => at);
  const stock = createStockRepository(db);
  const reservations = createReservationRepository(db);
  const transfers = createTransferRepository(db);
  const forkHolds = new Map(fork.holds.map((h) => [h.id, h]));
  const snapshot = ledger.chain.snapshot();

  /** Why `event` cannot be sealed on the current state, or null. */
  function misfit(event: StockEvent, row: StockRow | undefined): string | null {
    if (!row) return 'the product is unknown';
    const problem = viewMisfit(event);
    if (problem) return problem;
    const takes = event.type === 'stock.adjusted' ? 0 : Math.max(0, -event.delta) + Math.max(0, event.reservedDelta);
    if (event.type !== 'reservation.confirmed' && takes > row.available) {
      return `needs ${takes} available, central's history leaves ${row.available}`;
    }
    if (row.onHand + event.delta < 0) return `on hand would be ${row.onHand + event.delta}`;
    if (row.reserved + event.reservedDelta < 0) return `reserved would be ${row.reserved + event.reservedDelta}`;
    return null;
  }
  /** The hold or transfer the event moves must be where the fork found it. */
  function viewMisfit(event: StockEvent): string | null {
    const ref = event.ref ?? '';
    if (event.type === 'reservation.held') {
      if (!forkHolds.has(ref)) return 'the forked file has no reservation row for this hold';
      if (reservations.find(ref)) return `reservation ${ref} already exists`;
    }
    if (CLOSED_BY[event.type]) {
      const hold = reservations.find(ref);
      if (hold?.status !== 'held' || hold.qty !== -event.reservedDelta) {
        return `reservation ${ref} is ${hold ? `${hold.status} (${hold.qty})` : 'unknown'}, not held`;
      }
    }
    if (event.type === 'transfer.shipped') return transferMisfit(transfers.find(ref), 'requested', 'fromStoreId');
    if (event.type === 'transfer.received') return transferMisfit(transfers.find(ref), 'in_transit', 'toStoreId');
    return null;
  }
  function transferMisfit(t: TransferRecord | undefined, status: string, end: 'fromStoreId' | 'toStoreId') {
    if (!t) return 'the transfer is unknown';
    if (t[end] !== storeId) return `transfer ${t.id} does not involve this store at that end`;
    return t.status === status ? null : `transfer ${t.id} is ${t.status}, not ${status}`;
  }

  /** The view rows the event changes, as the node's own services change them. */
  function updateViews(event: StockEvent, sealed: StockEvent): void {
    const ref = event.ref ?? '';
    if (event.type === 'reservation.held') {
      reservations.insert({
        ...forkHolds.get(ref)!,
        status: 'held',
        createdAt: sealed.occurredAt,
        updatedAt: sealed.occurredAt,
      });
    }
    const closedAs = CLOSED_BY[event.type];
    if (closedAs) reservations.setStatus(ref, closedAs, sealed.occurredAt);
    if (event.type === 'transfer.shipped') {
      transfers.update(ref, { status: 'in_transit', shippedQty: -event.delta, updatedAt: sealed.occurredAt });
    }
    if (event.type === 'transfer.received') {
      transfers.update(ref, { status: 'received', receivedQty: event.delta, updatedAt: sealed.occurredAt });
    }
  }

  const conflicts: ReentryConflict[] = [];
  const mapping: ReentryMapping[] = [];
  const movedByCentral = new Set(
    db.$client
      .prepare<[number], { sku: string }>('SELECT DISTINCT sku FROM ledger WHERE seq > ?')
      .all(fork.commonSeq)
      .map((r) => r.sku),
  );
  const recount = [
    ...new Set(fork.events.filter((e) => e.type === 'stock.adjusted' && movedByCentral.has(e.sku)).map((e) => e.sku)),
  ];
  try {
    db.$client.transaction(() => {
      // Holds made before the fork: the rebuild gave POS holds a default TTL; the forked file has theirs.
      const setExpiry = db.$client.prepare<[number, string]>(
        "UPDATE reservations SET expires_at_ms = ? WHERE id = ? AND source = 'pos' AND status = 'held'",
      );
      for (const { id, expiresAtMs } of fork.expiries) setExpiry.run(expiresAtMs, id);
      // The rebuilt file has none of its own (they travel in no event).
      const idempotency = createIdempotencyRepository(db);
      for (const record of fork.idempotency) if (!idempotency.find(record.key)) idempotency.insert(record);
      for (const event of fork.events) {
        const row = stock.find(event.sku);
        const problem = misfit(event, row);
        if (problem) {
          const { seq, id: eventId, type, sku, ref } = event;
          conflicts.push({ seq, eventId, type, sku, ref: ref ?? null, problem });
          continue; // keep checking the rest, so the report lists every misfit at once
        }
        at = Date.parse(event.occurredAt);
        const { type, sku, delta, reservedDelta, ref, reason } = event;
        const sealed = ledger.append({ type, sku, delta, reservedDelta, ref, reason }, row!);
        updateViews(event, sealed);
        mapping.push({ forkSeq: event.seq, forkEventId: event.id, seq: sealed.seq, eventId: sealed.id });
      }
      if (conflicts.length > 0 && !opts.skipMisfits) throw new ForkReentryConflictError(conflicts);
    })();
  } catch (error) {
    ledger.chain.restore(snapshot);
    throw error;
  }
  return { mapping, skipped: conflicts, recount };
}
