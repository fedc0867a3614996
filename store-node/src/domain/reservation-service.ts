import { DomainError, ErrorCode, newId } from '@stocksync/shared';
import type { LedgerRepository } from '../db/repositories/ledger-repository';
import type { ReservationRecord, ReservationRepository } from '../db/repositories/reservation-repository';
import type { StockRepository } from '../db/repositories/stock-repository';

export type ReservationView = Omit<ReservationRecord, 'expiresAtMs'> & { expiresAt: string };
export type HoldInput = {
  /** Central passes its own id so a retried request finds the hold it already made. */
  id?: string | undefined;
  sku: string;
  qty: number;
  ttlSeconds: number;
  source: ReservationRecord['source'];
  orderRef?: string | undefined;
};

export function toReservationView({ expiresAtMs, ...rest }: ReservationRecord): ReservationView {
  // Object.assign, not `{ ...rest, expiresAt }`: see sealEvent in shared/src/hash-chain.ts.
  return Object.assign({}, rest, { expiresAt: new Date(expiresAtMs).toISOString() });
}

/**
 * Holds for a customer. The store node owns the TTL and expires holds itself, offline too.
 * Every transition is idempotent: repeating it returns the reservation as it is.
 * All functions are synchronous and run inside one write-queue job.
 */
export function createReservationService(deps: {
  stock: StockRepository;
  ledger: LedgerRepository;
  reservations: ReservationRepository;
  now: () => number;
}) {
  const { stock, ledger, reservations, now } = deps;

  function mustFind(id: string): ReservationRecord {
    const found = reservations.find(id);
    if (!found) throw new DomainError(ErrorCode.NOT_FOUND, `Reservation ${id} not found`);
    return found;
  }

  function close(
    record: ReservationRecord,
    type: 'reservation.released' | 'reservation.expired' | 'reservation.confirmed',
  ) {
    const row = stock.find(record.sku)!;
    const sold = type === 'reservation.confirmed';
    const event = ledger.append(
      { type, sku: record.sku, delta: sold ? -record.qty : 0, reservedDelta: -record.qty, ref: record.id },
      row,
    );
    const status = sold ? 'confirmed' : type === 'reservation.expired' ? 'expired' : 'released';
    reservations.setStatus(record.id, status, event.occurredAt);
    // The view is a fresh object with these fields already: overwriting them copies nothing more.
    return Object.assign(toReservationView(record), { status, updatedAt: event.occurredAt });
  }

  return {
    get: (id: string) => toReservationView(mustFind(id)),

    hold(input: HoldInput): ReservationView {
      if (input.id) {
        const existing = reservations.find(input.id);
        if (existing) {
          if (existing.sku !== input.sku || existing.qty !== input.qty) {
            throw new DomainError(ErrorCode.CONFLICT, `Reservation ${input.id} exists with other terms`);
          }
          return toReservationView(existing);
        }
      }
      const row = stock.find(input.sku);
      if (!row) throw new DomainError(ErrorCode.NOT_FOUND, `Unknown SKU: ${input.sku}`, { skus: [input.sku] });
      if (!row.active) throw new DomainError(ErrorCode.CONFLICT, `Product no longer sold: ${input.sku}`);
      if (row.available < input.qty) {
        throw new DomainError(
          ErrorCode.INSUFFICIENT_STOCK,
          `Insufficient stock for ${input.sku} (requested ${input.qty}, available ${row.available})`,
          { lines: [{ sku: input.sku, requested: input.qty, available: row.available }] },
        );
      }
      const id = input.id ?? newId();
      const event = ledger.append(
        { type: 'reservation.held', sku: input.sku, delta: 0, reservedDelta: input.qty, ref: id },
        row,
      );
      const record: ReservationRecord = {
        id,
        sku: input.sku,
        qty: input.qty,
        status: 'held',
        source: input.source,
        orderRef: input.orderRef ?? null,
        expiresAtMs: now() + input.ttlSeconds * 1000,
        createdAt: event.occurredAt,
        updatedAt: event.occurredAt,
      };
      reservations.insert(record);
      return toReservationView(record);
    },

    confirm(id: string): ReservationView {
      const record = mustFind(id);
      if (record.status === 'confirmed') return toReservationView(record);
      if (record.status !== 'held' || record.expiresAtMs <= now()) {
        const status = record.status === 'held' ? 'expired' : record.status;
        throw new DomainError(ErrorCode.CONFLICT, `Reservation ${id} is ${status} and can no longer be confirmed`, {
          status,
        });
      }
      const row = stock.find(record.sku)!;
      if (row.onHand < record.qty) {
        throw new DomainError(
          ErrorCode.INSUFFICIENT_STOCK,
          `Only ${row.onHand} of ${record.sku} left on hand for a hold of ${record.qty} (see discrepancies)`,
          { lines: [{ sku: record.sku, requested: record.qty, available: row.onHand }] },
        );
      }
      return close(record, 'reservation.confirmed');
    },

    cancel(id: string): ReservationView {
      const record = mustFind(id);
      if (record.status === 'released' || record.status === 'expired') return toReservationView(record);
      if (record.status === 'confirmed') {
        throw new DomainError(ErrorCode.CONFLICT, `Reservation ${id} is already confirmed (sold)`, {
          status: 'confirmed',
        });
      }
      return close(record, 'reservation.released');
    },

    /** A plain read: is any hold past its TTL? (lets the sweep skip a transaction when none is) */
    anyDue: (): boolean => reservations.dueForExpiry(now(), 1).length > 0,

    /** Expires up to `limit` overdue holds; returns how many. */
    expireDue(limit = 500): number {
      const due = reservations.dueForExpiry(now(), limit);
      for (const record of due) close(record, 'reservation.expired');
      return due.length;
    },
  };
}
export type ReservationService = ReturnType<typeof createReservationService>;
