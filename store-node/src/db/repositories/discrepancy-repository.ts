import { desc, isNull } from 'drizzle-orm';
import type { StoreDb } from '../db-plugin';
import { discrepancies } from '../schema';

export type DiscrepancyRecord = typeof discrepancies.$inferSelect;

export function createDiscrepancyRepository(db: StoreDb) {
  return {
    insert: (row: DiscrepancyRecord) => db.insert(discrepancies).values(row).run(),
    listOpen: () =>
      db
        .select()
        .from(discrepancies)
        .where(isNull(discrepancies.resolvedAt))
        .orderBy(desc(discrepancies.createdAt))
        .all(),
  };
}
export type DiscrepancyRepository = ReturnType<typeof createDiscrepancyRepository>;
