import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { Database } from './database';
import { alerts } from './schema';

export type AlertRow = typeof alerts.$inferSelect;
export type AlertFilter = {
  status?: 'open' | 'resolved' | undefined;
  storeId?: string | undefined;
  sku?: string | undefined;
  /** Keyset: rows with id below this one (newest first). */
  beforeId?: number | undefined;
  limit: number;
};

export function createAlertsRepository(db: Database) {
  return {
    async list(filter: AlertFilter): Promise<AlertRow[]> {
      const conditions: (SQL | undefined)[] = [
        filter.status ? eq(alerts.status, filter.status) : undefined,
        filter.storeId ? eq(alerts.storeId, filter.storeId) : undefined,
        filter.sku ? eq(alerts.sku, filter.sku) : undefined,
        filter.beforeId !== undefined ? lt(alerts.id, filter.beforeId) : undefined,
      ];
      return db
        .select()
        .from(alerts)
        .where(and(...conditions))
        .orderBy(desc(alerts.id))
        .limit(filter.limit);
    },
  };
}
