import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from './database';
import { products, stock, storeSkuSettings } from './schema';

export type StoreSkuSettingsRow = typeof storeSkuSettings.$inferSelect;

export function createStoreSettingsRepository(db: Database) {
  const get = async (storeId: string, sku: string): Promise<StoreSkuSettingsRow | undefined> =>
    (
      await db
        .select()
        .from(storeSkuSettings)
        .where(and(eq(storeSkuSettings.storeId, storeId), eq(storeSkuSettings.sku, sku)))
    )[0];

  return {
    get,

    /**
     * Sets a store's own minimum (null = the product default) and central's projection of it. The same
     * value again changes nothing (no version bump, nothing to publish).
     */
    async setMinStock(storeId: string, sku: string, minStock: number | null): Promise<StoreSkuSettingsRow> {
      await db
        .insert(storeSkuSettings)
        .values({ storeId, sku, minStock, version: 1, publishedVersion: 0 })
        .onConflictDoUpdate({
          target: [storeSkuSettings.storeId, storeSkuSettings.sku],
          set: { minStock, version: sql`${storeSkuSettings.version} + 1`, updatedAt: sql`now()` },
          setWhere: sql`${storeSkuSettings.minStock} is distinct from excluded.min_stock`,
        });
      await db
        .update(stock)
        .set({
          minStock: sql`coalesce(${minStock}::int4, (select ${products.defaultMinStock} from ${products} where ${products.sku} = ${sku}))`,
        })
        .where(and(eq(stock.storeId, storeId), eq(stock.sku, sku)));
      const row = await get(storeId, sku);
      if (!row) throw new Error(`store_sku_settings row ${storeId}/${sku} vanished`);
      return row;
    },

    /** See ProductsRepository.lockUnpublished: locked until the caller's transaction ends. */
    lockUnpublished: (limit: number): Promise<StoreSkuSettingsRow[]> =>
      db
        .select()
        .from(storeSkuSettings)
        .where(sql`${storeSkuSettings.version} > ${storeSkuSettings.publishedVersion}`)
        .orderBy(asc(storeSkuSettings.storeId), asc(storeSkuSettings.sku))
        .limit(limit)
        .for('update', { skipLocked: true }),

    async markPublished(rows: readonly Pick<StoreSkuSettingsRow, 'storeId' | 'sku' | 'version'>[]): Promise<void> {
      if (rows.length === 0) return;
      const values = JSON.stringify(rows.map(({ storeId, sku, version }) => ({ storeId, sku, version })));
      await db.execute(sql`
        update ${storeSkuSettings} as s set published_version = v.version
        from json_to_recordset(${values}::json) as v("storeId" text, sku text, version int4)
        where s.store_id = v."storeId" and s.sku = v.sku and s.published_version < v.version`);
    },
  };
}
export type StoreSettingsRepository = ReturnType<typeof createStoreSettingsRepository>;
