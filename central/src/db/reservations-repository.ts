import { and, desc, eq, sql } from 'drizzle-orm';
import type { Database } from './database';
import { type RESERVATION_STATUSES, reservations, stock } from './schema';

export type ReservationRow = typeof reservations.$inferSelect;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];
export type StoreCandidate = { storeId: string; available: number };

/** Central's record of online reservations; a row exists only once its store durably holds it. */
export function createReservationsRepository(db: Database) {
  return {
    async find(id: string): Promise<ReservationRow | undefined> {
      const [row] = await db.select().from(reservations).where(eq(reservations.id, id));
      return row;
    },

    async insertHeld(row: Omit<ReservationRow, 'createdAt' | 'updatedAt' | 'status'>): Promise<ReservationRow> {
      const [inserted] = await db
        .insert(reservations)
        .values({ ...row, status: 'held' })
        .onConflictDoNothing()
        .returning();
      return inserted ?? ((await this.find(row.id)) as ReservationRow);
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

    /** Projected available of one (store, sku); null when central has never seen it. */
    async projectedAvailable(storeId: string, sku: string): Promise<number | null> {
      const [row] = await db
        .select({ available: sql<number>`(${stock.onHand} - ${stock.reserved})` })
        .from(stock)
        .where(and(eq(stock.storeId, storeId), eq(stock.sku, sku)));
      return row ? Number(row.available) : null;
    },
  };
}
export type ReservationsRepository = ReturnType<typeof createReservationsRepository>;
