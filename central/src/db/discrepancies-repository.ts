import { and, desc, eq, isNull, lt, type SQL, sql } from 'drizzle-orm';
import type { Database } from './database';
import { type DISCREPANCY_KINDS, discrepancies } from './schema';

export type DiscrepancyRow = typeof discrepancies.$inferSelect;
export type DiscrepancyKind = (typeof DISCREPANCY_KINDS)[number];
export type NewDiscrepancy = Pick<DiscrepancyRow, 'kind' | 'storeId' | 'sku' | 'expected' | 'actual' | 'ref'>;
export type DiscrepancyFilter = {
  kind?: DiscrepancyKind | undefined;
  storeId?: string | undefined;
  open?: boolean | undefined;
  beforeId?: number | undefined;
  limit: number;
};

export function createDiscrepanciesRepository(db: Database) {
  return {
    /** One record per (kind, store, sku, ref): recording the same finding twice keeps the first. */
    async record(row: NewDiscrepancy): Promise<void> {
      await db.insert(discrepancies).values(row).onConflictDoNothing();
    },

    async list(filter: DiscrepancyFilter): Promise<DiscrepancyRow[]> {
      const conditions: (SQL | undefined)[] = [
        filter.kind ? eq(discrepancies.kind, filter.kind) : undefined,
        filter.storeId ? eq(discrepancies.storeId, filter.storeId) : undefined,
        filter.open === true ? isNull(discrepancies.resolvedAt) : undefined,
        filter.open === false ? sql`${discrepancies.resolvedAt} is not null` : undefined,
        filter.beforeId !== undefined ? lt(discrepancies.id, filter.beforeId) : undefined,
      ];
      return db
        .select()
        .from(discrepancies)
        .where(and(...conditions))
        .orderBy(desc(discrepancies.id))
        .limit(filter.limit);
    },

    /** Idempotent: resolving again keeps the first resolution and time. */
    async resolve(id: number, resolution: string, at: Date): Promise<DiscrepancyRow | undefined> {
      await db
        .update(discrepancies)
        .set({ resolvedAt: at, resolution })
        .where(and(eq(discrepancies.id, id), isNull(discrepancies.resolvedAt)));
      const [row] = await db.select().from(discrepancies).where(eq(discrepancies.id, id));
      return row;
    },
  };
}
export type DiscrepanciesRepository = ReturnType<typeof createDiscrepanciesRepository>;
