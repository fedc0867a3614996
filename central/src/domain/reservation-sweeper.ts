import type { FastifyBaseLogger } from 'fastify';
import type { DueAttempt, ReservationAttemptsRepository } from '../db/reservation-attempts-repository';
import type { ReservationsRepository } from '../db/reservations-repository';
import type { LockService } from '../redis/lock-service';
import { reserveLockKey } from './reservation-coordinator';
import type { StoreReserveClient } from './store-reserve-client';

/**
 * Releases holds a store may have made for a request that ended without a central record: the
 * store answered too late, central crashed between the store's answer and its insert, or the insert
 * failed. Under the same (store, SKU) lock as the hold itself, so it never races a hold in flight or
 * a retry of the same Idempotency-Key: if central recorded the reservation meanwhile there is
 * nothing to undo; otherwise the store is told to cancel, and the attempt settles once the store
 * says it holds nothing under that id. An unreachable store is retried with backoff, for as long as
 * it takes (its own TTL still expires the hold first if that comes sooner).
 */
export function createReservationSweeper(deps: {
  attempts: ReservationAttemptsRepository;
  reservations: ReservationsRepository;
  locks: LockService;
  stores: StoreReserveClient;
  log: FastifyBaseLogger;
  /** Younger attempts may still be in flight in another replica; no need to queue for their lock. */
  minAgeMs: number;
  /** Told after each pass how many orphans it released (for /metrics). */
  onReleased?: (released: number) => void;
}) {
  const { attempts, reservations, locks, stores, log } = deps;

  async function release(attempt: DueAttempt): Promise<boolean> {
    const { reservationId, storeId, sku } = attempt;
    return locks.withLock(reserveLockKey(storeId, sku), async () => {
      const recorded = await reservations.find(reservationId);
      if (recorded?.storeId === storeId) return true;
      const answer = await stores.send(storeId, { op: 'cancel', reservationId });
      if (answer.kind === 'recorded') return answer.reservation.status !== 'held';
      // NOT_FOUND: the hold never reached the store; any refusal is the store's final word on this id.
      return answer.kind === 'refused';
    });
  }

  /** One pass: settle what central recorded, then release up to `limit` orphans. Returns how many settled. */
  async function sweep(limit = 50): Promise<number> {
    let settled = await attempts.settleRecorded();
    // NATS down: claiming would only push every attempt's backoff further out while no store can answer.
    if (!stores.reachable()) return settled;
    const due = await attempts.claimDue(deps.minAgeMs, limit);
    const done: DueAttempt[] = [];
    await Promise.all(
      due.map(async (attempt) => {
        const ok = await release(attempt).catch((error: unknown) => {
          log.warn({ err: (error as Error).message, ...attempt }, 'could not release an orphan hold yet; retrying');
          return false;
        });
        if (ok) done.push(attempt);
      }),
    );
    await attempts.settle(done);
    settled += done.length;
    if (done.length > 0) log.info({ released: done.length }, 'orphan holds released at their stores');
    deps.onReleased?.(done.length);
    return settled;
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  return {
    sweep,
    start(intervalMs: number): void {
      const tick = () => {
        running = sweep()
          .catch((error: unknown) => log.warn({ err: (error as Error).message }, 'reservation sweep failed'))
          .finally(() => {
            if (timer) timer = setTimeout(tick, intervalMs);
          });
      };
      timer = setTimeout(tick, intervalMs);
    },
    async stop(): Promise<void> {
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
