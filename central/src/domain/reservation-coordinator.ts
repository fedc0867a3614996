import { setTimeout as sleep } from 'node:timers/promises';
import { DomainError, ErrorCode, MAX_HOLDS_PER_REQUEST, newId, type ReserveHold } from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { AdmitCandidate, AttemptKey, ReservationAttemptsRepository } from '../db/reservation-attempts-repository';
import type { NewHeldRow, ReservationRow, ReservationsRepository } from '../db/reservations-repository';
import { TurnBatcher } from '../infra/turn-batcher';
import { KeyedBatcher, type Settled } from '../redis/keyed-batcher';
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

/** A hold waiting in this process's queue for its (store, SKU); `since` counts towards the lock wait. */
type PendingHold = { storeId: string; req: HoldRequest; since: number };

/** Store answers passed on as they are; anything else from a store means it could not record the request. */
const PASSED_THROUGH = new Set<string>([
  ErrorCode.INSUFFICIENT_STOCK,
  ErrorCode.CONFLICT,
  ErrorCode.NOT_FOUND,
  ErrorCode.VALIDATION,
]);

/**
 * How long a hold the store has already made keeps trying to be recorded at central. The store's hold
 * is durable; a database away for a moment (a restart, a hang past the query timeout) should cost the
 * buyer a slower 201, not a 503 and a hold the sweeper then undoes. The insert is idempotent by id, so
 * a retry also finds a row an earlier attempt committed after all.
 */
const RECORD_RETRY_MS = 5_000;

export const reserveLockKey = (storeId: string, sku: string) => `lock:reserve:${storeId}:${sku}`;

const insufficient = (sku: string, qty: number, available: number, storeId?: string) =>
  new DomainError(
    ErrorCode.INSUFFICIENT_STOCK,
    `Insufficient stock for ${sku}${storeId ? ` at ${storeId}` : ''} (requested ${qty}, available ${available})`,
    { lines: [{ sku, requested: qty, available }], ...(storeId ? { storeId } : {}) },
  );

/** NATS is down: no store can be asked. Answered before any lock or attempt row, so nothing changes. */
const natsDown = (storeId: string | undefined, nothing: string) =>
  new DomainError(
    ErrorCode.STORE_UNAVAILABLE,
    `${storeId ? `Store ${storeId} cannot` : 'No store can'} be reached (NATS is down); nothing was ${nothing}`,
    storeId ? { storeId } : undefined,
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
  attempts: ReservationAttemptsRepository;
  locks: LockService;
  stores: StoreReserveClient;
  log: FastifyBaseLogger;
}) {
  const { repo, attempts, locks, stores, log } = deps;
  // Batches of different SKUs that reach the same step in one turn share one query.
  const admissions = new TurnBatcher((_: string, candidates: AdmitCandidate[]) => attempts.admit(candidates));
  const inserts = new TurnBatcher((_: string, rows: NewHeldRow[]) => repo.insertHeldMany(rows));
  // Lookups by id (a keyed hold's replay check, GET, confirm and cancel) made in one turn: one query.
  const lookups = new TurnBatcher((_: string, ids: string[]) => repo.findMany(ids));
  const find = async (id: string) => (await lookups.run('', [id]))[0];
  /** Best effort: what is not settled here, the sweeper settles after asking the store. */
  const settleAttempts = (keys: AttemptKey[]) =>
    void attempts.settle(keys).catch((error: unknown) => log.warn({ err: error }, 'attempts left to the sweeper'));

  /**
   * Everything queued in this process for one (store, SKU), under ONE lock hold: one projection
   * read, one store request (one group commit there), one insert. Each request keeps its own answer.
   */
  async function holdBatch(key: string, pending: PendingHold[]): Promise<Array<Settled<ReservationRow>>> {
    const results = new Map<number, Settled<ReservationRow>>();
    const refuse = (i: number, error: unknown) => results.set(i, { ok: false, error });
    const live = pending
      .map((_, i) => i)
      .filter((i) => {
        const late = locks.waitedTooLong(key, pending[i]!.since);
        if (late) refuse(i, late);
        return !late;
      });
    if (live.length > 0) {
      const since = Math.min(...live.map((i) => pending[i]!.since));
      await locks
        .withLock(key, () => holdUnderLock(pending, live, results), since)
        // No lock (Redis down, or busy too long) or no projection: nothing was asked of the store.
        .catch((error: unknown) => {
          for (const i of live) if (!results.has(i)) refuse(i, error);
        });
    }
    return pending.map((_, i) => results.get(i) ?? { ok: false, error: new Error('hold left unanswered') });
  }

  async function holdUnderLock(
    pending: PendingHold[],
    live: number[],
    results: Map<number, Settled<ReservationRow>>,
  ): Promise<void> {
    const refuse = (i: number, error: unknown) => results.set(i, { ok: false, error });
    const { storeId, req: first } = pending[live[0]!]!;
    const sku = first.sku;
    // NATS went down while these waited for the lock: refuse before writing attempts.
    if (!stores.reachable()) {
      for (const i of live) refuse(i, natsDown(storeId, 'reserved'));
      return;
    }
    // A retried Idempotency-Key whose first attempt may already hold at this store goes to the store,
    // whatever the projection (which may already count that very hold): the store answers by id. The
    // admission finds those itself (an open attempt under the same id).
    const ids = live.map((i) => pending[i]!.req.id ?? newId());
    // One round trip: the projection (which does not show this batch's holds yet) is counted off in
    // request order, and each admitted hold's attempt is written before the request leaves, so
    // whatever happens next the sweeper can undo an orphan hold.
    const verdicts = await admissions.run(
      '',
      live.map((i, n) => ({
        reservationId: ids[n]!,
        storeId,
        sku,
        qty: pending[i]!.req.qty,
        keyed: pending[i]!.req.id !== undefined,
      })),
    );
    const asked: Array<{ index: number; hold: ReserveHold }> = [];
    live.forEach((i, n) => {
      const { req } = pending[i]!;
      const verdict = verdicts[n]!;
      if (!verdict.admitted) {
        refuse(i, insufficient(sku, req.qty, verdict.available, storeId));
        return;
      }
      asked.push({
        index: i,
        hold: { reservationId: ids[n]!, sku, qty: req.qty, ttlSeconds: req.ttlSeconds, orderRef: req.orderRef },
      });
    });
    if (asked.length === 0) return;
    const answers = await stores.sendHolds(
      storeId,
      asked.map((a) => a.hold),
    );
    const held: Array<{ index: number; row: NewHeldRow }> = [];
    const nothingHeld: AttemptKey[] = [];
    asked.forEach(({ index, hold }, n) => {
      const answer = answers[n]!;
      const id = hold.reservationId;
      if (answer.kind === 'recorded' && answer.reservation.status === 'held') {
        const expiresAt = new Date(answer.reservation.expiresAt);
        held.push({
          index,
          row: { id, storeId, sku, qty: hold.qty, orderRef: pending[index]!.req.orderRef, expiresAt },
        });
      } else if (answer.kind === 'recorded') {
        // An Idempotency-Key whose first hold the sweeper already released.
        nothingHeld.push({ reservationId: id, storeId, sku });
        refuse(index, new DomainError(ErrorCode.CONFLICT, `Reservation ${id} is ${answer.reservation.status}`));
      } else {
        // Unanswered: the store may still record it; its attempt stays open for the sweeper.
        if (answer.kind === 'refused') nothingHeld.push({ reservationId: id, storeId, sku });
        refuse(index, failure(storeId, answer));
      }
    });
    settleAttempts(nothingHeld);
    if (held.length === 0) return;
    try {
      const rows = await recordHeld(held.map((h) => h.row));
      held.forEach(({ index }, n) => {
        results.set(index, { ok: true, value: rows[n]! });
      });
    } catch (error) {
      log.error({ err: error, storeId, sku }, 'held at the store but not recorded centrally; the sweeper releases it');
      for (const { index } of held) {
        refuse(
          index,
          new DomainError(ErrorCode.DEPENDENCY_UNAVAILABLE, 'Central database unavailable; nothing was reserved'),
        );
      }
    }
  }

  /** The store holds these: record them, retrying while the database recovers (see RECORD_RETRY_MS). */
  async function recordHeld(rows: NewHeldRow[]): Promise<ReservationRow[]> {
    const giveUpAt = Date.now() + RECORD_RETRY_MS;
    for (let failures = 0; ; failures++) {
      try {
        return await inserts.run('', rows);
      } catch (error) {
        const pause = Math.min(1_000, 100 * 2 ** failures);
        if (Date.now() + pause > giveUpAt) throw error;
        log.warn({ err: (error as Error).message, holds: rows.length }, 'recording holds failed; retrying');
        await sleep(pause);
      }
    }
  }

  const batcher = new KeyedBatcher<PendingHold, ReservationRow>(holdBatch, MAX_HOLDS_PER_REQUEST);

  const holdAt = (storeId: string, req: HoldRequest): Promise<ReservationRow> =>
    stores.reachable()
      ? batcher.submit(reserveLockKey(storeId, req.sku), { storeId, req, since: Date.now() })
      : Promise.reject(natsDown(storeId, 'reserved'));

  /** No store named: the stores whose projection covers qty, most available first, until one holds. */
  async function holdAnywhere(req: HoldRequest): Promise<ReservationRow> {
    // "Sold out" would be a guess from a projection that stopped moving: say "retry" instead.
    if (!stores.reachable()) throw natsDown(undefined, 'reserved');
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
    const row = await find(id);
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
    if (!stores.reachable()) throw natsDown(row.storeId, op === 'confirm' ? 'confirmed' : 'cancelled');
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
        const existing = await find(req.id);
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
    get: find,
    confirm: (id: string) => transition(id, 'confirm'),
    cancel: (id: string) => transition(id, 'cancel'),
  };
}
export type ReservationCoordinator = ReturnType<typeof createReservationCoordinator>;
