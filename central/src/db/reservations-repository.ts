import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { type Database, rowsOf } from './database';
import { type RESERVATION_STATUSES, reservations, stock } from './schema';

export type ReservationRow = typeof reservations.$inferSelect;
export type NewHeldRow = Omit<ReservationRow, 'createdAt' | 'updatedAt' | 'status'>;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];
export type StoreCandidate = { storeId: string; available: number };

/** Central's record of online reservations; a row exists only once its store durably holds it. */
export function createReservationsRepository(db: Database) {
  return {
    async find(id: string): Promise<ReservationRow | undefined> {
      const [row] = await db.select().from(reservations).where(eq(reservations.id, id));
      return row;
    },

    /**
     * Records holds the store made, in one statement. A row that already exists (a retried
     * Idempotency-Key) is returned as it is. Rows come back in input order.
     */
    async insertHeldMany(rows: NewHeldRow[]): Promise<ReservationRow[]> {
      if (rows.length === 0) return [];
      const inserted = await db
        .insert(reservations)
        .values(rows.map((row) => ({ ...row, status: 'held' as const })))
        .onConflictDoNothing()
        .returning();
      const byId = new Map(inserted.map((r) => [r.id, r]));
      const missing = rows.filter((r) => !byId.has(r.id)).map((r) => r.id);
      if (missing.length > 0) {
        for (const r of await db.select().from(reservations).where(inArray(reservations.id, missing)))
          byId.set(r.id, r);
      }
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

    /** Projected available of several (store, sku) in one query, in input order; null = never seen. */
    async projectedAvailableMany(keys: ReadonlyArray<{ storeId: string; sku: string }>): Promise<Array<number | null>> {
      if (keys.length === 0) return [];
      const rows = rowsOf<{ storeId: string; sku: string; available: number }>(
        await db.execute(sql`
          select s.store_id as "storeId", s.sku, (s.on_hand - s.reserved)::int as available
          from ${stock} s
          join json_to_recordset(${JSON.stringify(keys)}::json) as k("storeId" text, sku text)
            on s.store_id = k."storeId" and s.sku = k.sku`),
      );
      const found = new Map(rows.map((r) => [`${r.storeId}\u0000${r.sku}`, Number(r.available)]));
      return keys.map((k) => found.get(`${k.storeId}\u0000${k.sku}`) ?? null);
    },
  };
}
export type ReservationsRepository = ReturnType<typeof createReservationsRepository>;
