import { and, asc, desc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { type Database, rowsOf } from './database';
import { type RESERVATION_STATUSES, reservations, stock } from './schema';

export type ReservationRow = typeof reservations.$inferSelect;
export type NewHeldRow = Omit<ReservationRow, 'createdAt' | 'updatedAt' | 'status'>;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];
export type StoreCandidate = { storeId: string; available: number };
export type ReservationFilter = {
  status: ReservationStatus;
  storeId?: string | undefined;
  sku?: string | undefined;
  orderRef?: string | undefined;
  /** Keyset: the (expiresAt, id) of the previous page's last row; expiresAt has whole milliseconds. */
  after?: { expiresAt: Date; id: string } | undefined;
  limit: number;
};

/** A timestamp from a raw query: node-postgres and PGlite both parse timestamptz, but be sure. */
const toDate = (value: Date | string) => (value instanceof Date ? value : new Date(value));

/**
 * How long after it is sent recording holds may still commit, for a client that abandons a statement
 * after `queryTimeoutMs`: a margin short of it, for the commit itself and for the error in the measured
 * offset between central's and PostgreSQL's clocks (database-clock.ts). No timeout (PGlite, or none
 * configured): nothing abandons it.
 */
function recordWindowFor(queryTimeoutMs: number | undefined): number | null {
  if (!queryTimeoutMs) return null;
  return queryTimeoutMs - Math.min(1_000, queryTimeoutMs / 2);
}

/** Central's record of online reservations; a row exists only once its store durably holds it. */
export function createReservationsRepository(
  db: Database,
  opts: {
    queryTimeoutMs?: number | undefined;
    /** The time on PostgreSQL's clock, which checks the deadline (database-clock.ts); else central's. */
    databaseNow?: () => number;
  } = {},
) {
  const recordWindowMs = recordWindowFor(opts.queryTimeoutMs);
  const databaseNow = opts.databaseNow ?? Date.now;
  return {
    /** Soonest expiry first: for held ones, the orders to collect first (as the store lists them). */
    async list(filter: ReservationFilter): Promise<ReservationRow[]> {
      const conditions: SQL[] = [eq(reservations.status, filter.status)];
      if (filter.storeId) conditions.push(eq(reservations.storeId, filter.storeId));
      if (filter.sku) conditions.push(eq(reservations.sku, filter.sku));
      if (filter.orderRef) conditions.push(eq(reservations.orderRef, filter.orderRef));
      if (filter.after) {
        conditions.push(
          sql`(${reservations.expiresAt}, ${reservations.id}) > (${filter.after.expiresAt.toISOString()}::timestamptz, ${filter.after.id}::uuid)`,
        );
      }
      return db
        .select()
        .from(reservations)
        .where(and(...conditions))
        .orderBy(asc(reservations.expiresAt), asc(reservations.id))
        .limit(filter.limit);
    },

    async find(id: string): Promise<ReservationRow | undefined> {
      const [row] = await db.select().from(reservations).where(eq(reservations.id, id));
      return row;
    },

    /** `find` for many ids in one query; the answers in input order (undefined where none). */
    async findMany(ids: readonly string[]): Promise<Array<ReservationRow | undefined>> {
      if (ids.length === 0) return [];
      const rows = await db
        .select()
        .from(reservations)
        .where(inArray(reservations.id, [...new Set(ids)]));
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id));
    },

    /**
     * Records holds the store made, in one round trip (stocksync_record_holds, migration 0013). A row
     * that already exists (a retried Idempotency-Key) is returned as it is. Rows come back in input
     * order. The rows travel as one JSON parameter: building a many-row insert through the query
     * builder cost more CPU than the rest of a hold (profiled under the reservations bench).
     */
    async insertHeldMany(rows: NewHeldRow[]): Promise<ReservationRow[]> {
      if (rows.length === 0) return [];
      const input = JSON.stringify(rows.map((r) => ({ ...r, expiresAt: r.expiresAt.toISOString() })));
      // Autocommit, yet never a late commit: a statement that times out here while the server hangs
      // runs when it resumes, and would record a hold central answered 503 for. The function refuses
      // past this deadline, which falls before central's own query timeout gives up on it.
      const deadline = recordWindowMs === null ? null : new Date(databaseNow() + recordWindowMs).toISOString();
      const result = await db.execute(sql`
        select id, store_id as "storeId", sku, qty, status, order_ref as "orderRef", expires_at as "expiresAt",
               created_at as "createdAt", updated_at as "updatedAt"
        from stocksync_record_holds(${input}::json, ${deadline}::timestamptz)`);
      const stored = rowsOf<ReservationRow>(result);
      const byId = new Map(
        stored.map((r) => [
          r.id,
          { ...r, expiresAt: toDate(r.expiresAt), createdAt: toDate(r.createdAt), updatedAt: toDate(r.updatedAt) },
        ]),
      );
      return rows.map((r) => byId.get(r.id) as ReservationRow);
    },

    /** held → a final status; a final status never changes again (repeats and late events are no-ops). */
    async close(id: string, status: Exclude<ReservationStatus, 'held'>): Promise<ReservationRow | undefined> {
      await db
        .update(reservations)
        .set({ status, updatedAt: new Date() })
        .where(and(eq(reservations.id, id), eq(reservations.status, 'held')));
      return this.find(id);
    },

    /** Stores whose projected available covers `qty`, most available first (DESIGN §6: central may pick). */
    async candidates(sku: string, qty: number): Promise<StoreCandidate[]> {
      const available = sql<number>`(${stock.onHand} - ${stock.reserved})`;
      return db
        .select({ storeId: stock.storeId, available })
        .from(stock)
        .where(and(eq(stock.sku, sku), sql`${available} >= ${qty}`))
        .orderBy(desc(available), stock.storeId);
    },
  };
}
export type ReservationsRepository = ReturnType<typeof createReservationsRepository>;
