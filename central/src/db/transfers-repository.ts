import { and, desc, eq, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { Database } from './database';
import { type TRANSFER_STATUSES, transfers } from './schema';

export type TransferRow = typeof transfers.$inferSelect;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];
export type NewTransfer = Pick<TransferRow, 'id' | 'sku' | 'fromStoreId' | 'toStoreId' | 'qty'>;
export type TransferFilter = {
  status?: TransferStatus | undefined;
  /** Either end of the transfer. */
  storeId?: string | undefined;
  sku?: string | undefined;
  /** Keyset: rows after this (createdAt, id) in newest-first order. */
  before?: { createdAt: Date; id: string } | undefined;
  limit: number;
};
export type TransferChange = Partial<
  Pick<TransferRow, 'status' | 'shippedQty' | 'receivedQty' | 'shippedAt' | 'receivedAt' | 'cancelledAt' | 'updatedAt'>
>;

export function createTransfersRepository(db: Database) {
  return {
    /** Inserts unless the id exists (an idempotent retry); returns the row only when it was new. */
    async insert(row: NewTransfer, at: Date): Promise<TransferRow | undefined> {
      const [created] = await db
        .insert(transfers)
        .values({ ...row, status: 'requested', createdAt: at, updatedAt: at })
        .onConflictDoNothing()
        .returning();
      return created;
    },

    async get(id: string): Promise<TransferRow | undefined> {
      const [row] = await db.select().from(transfers).where(eq(transfers.id, id));
      return row;
    },

    /** Row locks in id order, so transactions locking several transfers never deadlock. */
    async lockMany(ids: readonly string[]): Promise<Map<string, TransferRow>> {
      if (ids.length === 0) return new Map();
      const rows = await db
        .select()
        .from(transfers)
        .where(inArray(transfers.id, [...ids]))
        .orderBy(transfers.id)
        .for('update');
      return new Map(rows.map((r) => [r.id, r]));
    },

    async update(id: string, change: TransferChange): Promise<TransferRow> {
      const [row] = await db.update(transfers).set(change).where(eq(transfers.id, id)).returning();
      if (!row) throw new Error(`transfer ${id} vanished while locked`);
      return row;
    },

    async list(filter: TransferFilter): Promise<TransferRow[]> {
      const conditions: (SQL | undefined)[] = [
        filter.status ? eq(transfers.status, filter.status) : undefined,
        filter.storeId
          ? or(eq(transfers.fromStoreId, filter.storeId), eq(transfers.toStoreId, filter.storeId))
          : undefined,
        filter.sku ? eq(transfers.sku, filter.sku) : undefined,
        filter.before
          ? sql`(${transfers.createdAt}, ${transfers.id}) < (${filter.before.createdAt.toISOString()}::timestamptz, ${filter.before.id}::uuid)`
          : undefined,
      ];
      return db
        .select()
        .from(transfers)
        .where(and(...conditions))
        .orderBy(desc(transfers.createdAt), desc(transfers.id))
        .limit(filter.limit);
    },

    /** Shipped, not yet received, per target store: what is on the road towards each store. */
    async inTransitBySku(sku: string): Promise<Map<string, number>> {
      const rows = await db
        .select({
          storeId: transfers.toStoreId,
          qty: sql<string>`coalesce(sum(${transfers.shippedQty}), 0)`,
        })
        .from(transfers)
        .where(and(eq(transfers.sku, sku), eq(transfers.status, 'in_transit')))
        .groupBy(transfers.toStoreId);
      return new Map(rows.map((r) => [r.storeId, Number(r.qty)]));
    },
  };
}
export type TransfersRepository = ReturnType<typeof createTransfersRepository>;
