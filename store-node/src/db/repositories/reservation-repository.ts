import { and, asc, eq, lte, sql } from 'drizzle-orm';
import type { StoreDb } from '../db-plugin';
import { reservations } from '../schema';

export type ReservationRecord = typeof reservations.$inferSelect;
export type ReservationStatus = ReservationRecord['status'];

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
    heldQuantity: (sku: string) =>
      db
        .select({ qty: sql<number>`coalesce(sum(${reservations.qty}), 0)` })
        .from(reservations)
        .where(and(eq(reservations.sku, sku), eq(reservations.status, 'held')))
        .get()?.qty ?? 0,
  };
}
export type ReservationRepository = ReturnType<typeof createReservationRepository>;
