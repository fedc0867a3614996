import { sql } from 'drizzle-orm';
import { type Database, rowsOf } from './database';

export type AttemptKey = { reservationId: string; storeId: string; sku: string };
export type DueAttempt = AttemptKey & { tries: number };
/**
 * A hold to admit. `keyed`: it carries an Idempotency-Key, so if its attempt at this store is still open
 * it is a retry that may already hold there, and is admitted as it is (migration 0014).
 */
export type AdmitCandidate = AttemptKey & { qty: number; keyed: boolean };
/** `available`: what the projection had left for the key after this hold was decided. */
export type Admission = { admitted: boolean; available: number };

/** The write-ahead record of holds asked of stores (see `reservation_attempts` in hq-schema.ts). */
export function createReservationAttemptsRepository(db: Database) {
  return {
    /**
     * Decides which holds the projection covers (or are retries of an open attempt) and records their
     * attempts, in one round trip (stocksync_admit_holds, migrations 0005 and 0014); answers in input
     * order. Callers hold each key's lock.
     */
    async admit(candidates: readonly AdmitCandidate[]): Promise<Admission[]> {
      if (candidates.length === 0) return [];
      const input = JSON.stringify(candidates.map((c, ord) => ({ ...c, ord })));
      const rows = rowsOf<{ ord: number; admitted: boolean; available: number }>(
        await db.execute(sql`select ord, admitted, available from stocksync_admit_holds(${input}::json)`),
      );
      const byOrd = new Map(rows.map((r) => [Number(r.ord), r]));
      return candidates.map((_, ord) => {
        const row = byOrd.get(ord);
        if (!row) throw new Error(`no admission decision for hold ${ord}`);
        return { admitted: row.admitted === true, available: Number(row.available) };
      });
    },

    async settle(keys: ReadonlyArray<{ reservationId: string; storeId: string }>): Promise<void> {
      if (keys.length === 0) return;
      await db.execute(sql`
        update reservation_attempts a set settled_at = now()
        from json_to_recordset(${JSON.stringify(keys)}::json) as k("reservationId" uuid, "storeId" text)
        where a.reservation_id = k."reservationId" and a.store_id = k."storeId" and a.settled_at is null`);
    },

    /** Attempts whose reservation central recorded at that store: nothing to undo. */
    async settleRecorded(): Promise<number> {
      const rows = rowsOf<{ id: string }>(
        await db.execute(sql`
          update reservation_attempts a set settled_at = now()
          from reservations r
          where a.settled_at is null and r.id = a.reservation_id and r.store_id = a.store_id
          returning a.reservation_id as id`),
      );
      return rows.length;
    },

    /**
     * Claims unsettled attempts older than `minAgeMs` that are due, pushing their next try out with
     * backoff so replicas sweeping at once do not take the same rows.
     */
    async claimDue(minAgeMs: number, limit: number): Promise<DueAttempt[]> {
      return rowsOf<DueAttempt>(
        await db.execute(sql`
          update reservation_attempts a
          set tries = a.tries + 1,
              next_try_at = now() + least(interval '30 seconds', interval '500 milliseconds' * power(2, a.tries))
          where (a.reservation_id, a.store_id) in (
            select reservation_id, store_id from reservation_attempts
            where settled_at is null and next_try_at <= now()
              and created_at < now() - make_interval(secs => ${minAgeMs / 1000}::float8)
            order by next_try_at
            limit ${limit}
            for update skip locked)
          returning a.reservation_id as "reservationId", a.store_id as "storeId", a.sku, a.tries`),
      );
    },

    async countUnsettled(): Promise<number> {
      const [row] = rowsOf<{ n: number }>(
        await db.execute(sql`select count(*)::int as n from reservation_attempts where settled_at is null`),
      );
      return row?.n ?? 0;
    },
  };
}
export type ReservationAttemptsRepository = ReturnType<typeof createReservationAttemptsRepository>;
