import { and, asc, eq, lte, type SQL, sql } from 'drizzle-orm';
import type { StoreDb } from '../db-plugin';
import { reservations } from '../schema';

export type ReservationRecord = typeof reservations.$inferSelect;
export type ReservationStatus = ReservationRecord['status'];
export type ReservationFilter = {
  status: ReservationStatus;
  source?: ReservationRecord['source'] | undefined;
  sku?: string | undefined;
  /** Keyset: the (expiresAtMs, id) of the last row of the previous page. */
  after?: { expiresAtMs: number; id: string } | undefined;
  limit: number;
};

export function createReservationRepository(db: StoreDb) {
  const byId = db
    .select()
    .from(reservations)
    .where(eq(reservations.id, sql.placeholder('id')))
    .prepare();
  // Prepared once: the sweep asks every second, and building and preparing the query each time was a
  // quarter of an idle store's main-thread CPU.
  const due = db
    .select()
    .from(reservations)
    .where(and(eq(reservations.status, 'held'), lte(reservations.expiresAtMs, sql.placeholder('nowMs'))))
    .orderBy(asc(reservations.expiresAtMs))
    .limit(sql.placeholder('limit'))
    .prepare();
  return {
    find: (id: string) => byId.get({ id }),
    insert: (row: ReservationRecord) => db.insert(reservations).values(row).run(),
    setStatus: (id: string, status: ReservationStatus, updatedAt: string) =>
      db.update(reservations).set({ status, updatedAt }).where(eq(reservations.id, id)).run(),
    /** Held reservations whose TTL has passed, oldest first (uses the partial index on held rows). */
    dueForExpiry: (nowMs: number, limit: number) => due.all({ nowMs, limit }),
    /** By expiry, then id: for held ones, what must be picked or collected first comes first. */
    list(filter: ReservationFilter): ReservationRecord[] {
      const conditions: SQL[] = [eq(reservations.status, filter.status)];
      if (filter.source) conditions.push(eq(reservations.source, filter.source));
      if (filter.sku) conditions.push(eq(reservations.sku, filter.sku));
      if (filter.after) {
        conditions.push(
          sql`(${reservations.expiresAtMs}, ${reservations.id}) > (${filter.after.expiresAtMs}, ${filter.after.id})`,
        );
      }
      return db
        .select()
        .from(reservations)
        .where(and(...conditions))
        .orderBy(asc(reservations.expiresAtMs), asc(reservations.id))
        .limit(filter.limit)
        .all();
    },
    heldQuantity: (sku: string) =>
      db
        .select({ qty: sql<number>`coalesce(sum(${reservations.qty}), 0)` })
        .from(reservations)
        .where(and(eq(reservations.sku, sku), eq(reservations.status, 'held')))
        .get()?.qty ?? 0,
  };
}
export type ReservationRepository = ReturnType<typeof createReservationRepository>;
