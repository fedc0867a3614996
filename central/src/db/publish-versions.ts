import { sql } from 'drizzle-orm';
import { type Database, rowsOf } from './database';
import { products, storeSkuSettings } from './schema';

/**
 * The publish bookkeeping the catalog and the store settings share: each row's `version` and the
 * `published_version` its KV bucket holds.
 */
function publishVersions(db: Database, table: typeof products | typeof storeSkuSettings) {
  return {
    /** Rows whose key the bucket must hold: each was put at least once (keys are never deleted). */
    async publishedCount(): Promise<number> {
      const [row] = rowsOf<{ n: number }>(
        await db.execute(sql`select count(*)::int as n from ${table} where published_version > 0`),
      );
      return Number(row?.n ?? 0);
    },
    /** The bucket lost keys (NATS storage lost): every row goes out again. Returns how many. */
    async republishAll(): Promise<number> {
      const rows = rowsOf(
        await db.execute(sql`update ${table} set published_version = 0 where published_version > 0 returning 1`),
      );
      return rows.length;
    },
  };
}

export const productPublishVersions = (db: Database) => publishVersions(db, products);
export const settingsPublishVersions = (db: Database) => publishVersions(db, storeSkuSettings);
export type PublishVersions = ReturnType<typeof productPublishVersions>;
