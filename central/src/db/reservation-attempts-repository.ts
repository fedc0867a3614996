import { sql } from 'drizzle-orm';
import { type Database, rowsOf } from './database';

export type AttemptKey = { reservationId: string; storeId: string; sku: string };
export type DueAttempt = AttemptKey & { tries: number };
/** A hold to admit: `retried` = a retried Idempotency-Key whose attempt is still open (admitted as it is). */
export type AdmitCandidate = AttemptKey & { qty: number; retried: boolean };
/** `available`: what the projection had left for the key after this hold was decided. */
export type Admission = { admitted: boolean; available: number };

/** The write-ahead record of holds asked of stores (see `reservation_attempts` in hq-schema.ts). */
export function createReservationAttemptsRepository(db: Database) {
  return {
    /**
     * Decides which holds the projection covers and records their attempts, in one round trip
     * (stocksync_admit_holds, migration 0005); answers in input order. Callers hold each key's lock.
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

    /** Which of these ids have an unsettled attempt at this store: a retried request that may already hold. */
    async unsettled(storeId: string, ids: readonly string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = rowsOf<{ id: string }>(
        await db.execute(sql`
          select reservation_id as id from reservation_attempts
          where store_id = ${storeId} and settled_at is null
            and reservation_id in (select value::uuid from json_array_elements_text(${JSON.stringify(ids)}::json))`),
      );
      return new Set(rows.map((r) => r.id));
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
