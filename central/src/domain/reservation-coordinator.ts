import { DomainError, ErrorCode, newId } from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { ReservationRow, ReservationsRepository } from '../db/reservations-repository';
import type { LockService } from '../redis/lock-service';
import type { StoreAnswer, StoreReserveClient } from './store-reserve-client';

export type HoldRequest = {
  /** Set from the request's Idempotency-Key: the same key always means the same reservation. */
  id?: string | undefined;
  sku: string;
  qty: number;
  storeId?: string | undefined;
  ttlSeconds: number;
  orderRef: string;
};

/** Store answers passed on as they are; anything else from a store means it could not record the request. */
const PASSED_THROUGH = new Set<string>([
  ErrorCode.INSUFFICIENT_STOCK,
  ErrorCode.CONFLICT,
  ErrorCode.NOT_FOUND,
  ErrorCode.VALIDATION,
]);

export const reserveLockKey = (storeId: string, sku: string) => `lock:reserve:${storeId}:${sku}`;

const insufficient = (sku: string, qty: number, available: number, storeId?: string) =>
  new DomainError(
    ErrorCode.INSUFFICIENT_STOCK,
    `Insufficient stock for ${sku}${storeId ? ` at ${storeId}` : ''} (requested ${qty}, available ${available})`,
    { lines: [{ sku, requested: qty, available }], ...(storeId ? { storeId } : {}) },
  );

function failure(storeId: string, answer: Exclude<StoreAnswer, { kind: 'recorded' }>): DomainError {
  if (answer.kind === 'unavailable') {
    return new DomainError(ErrorCode.STORE_UNAVAILABLE, `Store ${storeId} did not answer (${answer.reason})`, {
      storeId,
    });
  }
  if (PASSED_THROUGH.has(answer.code)) {
    return new DomainError(answer.code as ErrorCode, answer.message, { storeId });
  }
  return new DomainError(ErrorCode.STORE_UNAVAILABLE, `Store ${storeId} could not record it: ${answer.message}`, {
    storeId,
  });
}

/**
 * Online reservations, CP (DESIGN §3): under the (store, SKU) lock central checks its projection,
 * asks the owning store to hold, and records the reservation only after the store answered that the
 * hold is durable. Central never writes the stock projection here: it moves only through the store's
 * applied events (version CAS), so the store's version fences out anything a lost lock could do.
 */
export function createReservationCoordinator(deps: {
  repo: ReservationsRepository;
  locks: LockService;
  stores: StoreReserveClient;
  log: FastifyBaseLogger;
}) {
  const { repo, locks, stores, log } = deps;

  async function holdAt(storeId: string, req: HoldRequest): Promise<ReservationRow> {
    return locks.withLock(reserveLockKey(storeId, req.sku), async () => {
      const available = (await repo.projectedAvailable(storeId, req.sku)) ?? 0;
      if (available < req.qty) throw insufficient(req.sku, req.qty, available, storeId);
      const reservationId = req.id ?? newId();
      const answer = await stores.send(storeId, {
        op: 'hold',
        reservationId,
        sku: req.sku,
        qty: req.qty,
        ttlSeconds: req.ttlSeconds,
        orderRef: req.orderRef,
      });
      if (answer.kind !== 'recorded') {
        // The store may have recorded the hold after we stopped waiting: release it so nothing stays held.
        if (answer.kind === 'unavailable' && answer.maybeDelivered) stores.cancelInBackground(storeId, reservationId);
        throw failure(storeId, answer);
      }
      try {
        return await repo.insertHeld({
          id: reservationId,
          storeId,
          sku: req.sku,
          qty: req.qty,
          orderRef: req.orderRef,
          expiresAt: new Date(answer.reservation.expiresAt),
        });
      } catch (error) {
        log.error({ err: error, storeId, reservationId }, 'held at the store but not recorded centrally; releasing');
        stores.cancelInBackground(storeId, reservationId);
        throw new DomainError(ErrorCode.DEPENDENCY_UNAVAILABLE, 'Central database unavailable; nothing was reserved');
      }
    });
  }

  /** No store named: the stores whose projection covers qty, most available first, until one holds. */
  async function holdAnywhere(req: HoldRequest): Promise<ReservationRow> {
    const candidates = await repo.candidates(req.sku, req.qty);
    let unavailable: DomainError | undefined;
    for (const candidate of candidates) {
      try {
        return await holdAt(candidate.storeId, req);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        if (error.code === ErrorCode.STORE_UNAVAILABLE) unavailable = error;
        else if (error.code !== ErrorCode.INSUFFICIENT_STOCK) throw error;
      }
    }
    // A store that did not answer might have covered it: that is "try again", not "sold out".
    if (unavailable) throw unavailable;
    throw insufficient(req.sku, req.qty, 0);
  }

  async function transition(id: string, op: 'confirm' | 'cancel'): Promise<ReservationRow> {
    const row = await repo.find(id);
    if (!row) throw new DomainError(ErrorCode.NOT_FOUND, `Reservation ${id} not found`);
    // Idempotent repeats are answered from central's record, even while the store is offline.
    const done = op === 'confirm' ? row.status === 'confirmed' : row.status === 'released' || row.status === 'expired';
    if (done) return row;
    if (row.status !== 'held') {
      const verb = op === 'confirm' ? 'confirmed' : 'cancelled';
      throw new DomainError(ErrorCode.CONFLICT, `Reservation ${id} is ${row.status} and can no longer be ${verb}`, {
        status: row.status,
      });
    }
    return locks.withLock(reserveLockKey(row.storeId, row.sku), async () => {
      const answer = await stores.send(row.storeId, { op, reservationId: id });
      if (answer.kind !== 'recorded') throw failure(row.storeId, answer);
      const status = answer.reservation.status;
      if (status === 'held') return row;
      return (await repo.close(id, status)) ?? row;
    });
  }

  return {
    /** Returns the reservation and whether it already existed (a retry with the same Idempotency-Key). */
    async hold(req: HoldRequest): Promise<{ row: ReservationRow; replayed: boolean }> {
      if (req.id) {
        const existing = await repo.find(req.id);
        if (existing) {
          const same =
            existing.sku === req.sku &&
            existing.qty === req.qty &&
            existing.orderRef === req.orderRef &&
            (!req.storeId || existing.storeId === req.storeId);
          if (!same) {
            throw new DomainError(
              ErrorCode.IDEMPOTENCY_MISMATCH,
              'Idempotency-Key was used for a different reservation',
            );
          }
          return { row: existing, replayed: true };
        }
      }
      const row = await (req.storeId ? holdAt(req.storeId, req) : holdAnywhere(req));
      return { row, replayed: false };
    },
    get: (id: string) => repo.find(id),
    confirm: (id: string) => transition(id, 'confirm'),
    cancel: (id: string) => transition(id, 'cancel'),
  };
}
export type ReservationCoordinator = ReturnType<typeof createReservationCoordinator>;
