import { and, asc, eq, gt, ilike, or, type SQL, sql } from 'drizzle-orm';
import type { Database } from './database';
import { products, stock, storeSkuSettings } from './schema';

export type ProductRow = typeof products.$inferSelect;
/** Every field HQ edits; price is an exact decimal string (PriceSchema). */
export type ProductFields = {
  name: string;
  description: string;
  category: string;
  price: string;
  defaultMinStock: number;
  active: boolean;
};
export type ProductFilter = {
  category?: string | undefined;
  minPrice?: string | undefined;
  maxPrice?: string | undefined;
  q?: string | undefined;
  active?: boolean | undefined;
  afterSku?: string | undefined;
  limit: number;
};

/** ILIKE pattern matching `text` literally anywhere (its own %, _ and \ escaped). */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function createProductsRepository(db: Database) {
  const get = async (sku: string): Promise<ProductRow | undefined> =>
    (await db.select().from(products).where(eq(products.sku, sku)))[0];

  /**
   * Central's projection keeps the effective minimum (store override, else product default), so a new
   * product default reaches every row of the SKU that has no per-store override.
   */
  async function applyDefaultMinStock(sku: string, defaultMinStock: number): Promise<void> {
    await db
      .update(stock)
      .set({ minStock: defaultMinStock })
      .where(
        and(
          eq(stock.sku, sku),
          sql`not exists (select 1 from ${storeSkuSettings} s where s.store_id = ${stock.storeId}
            and s.sku = ${stock.sku} and s.min_stock is not null)`,
        ),
      );
  }

  return {
    get,

    /** Undefined when the SKU exists already (the caller answers DUPLICATE_SKU). */
    async create(sku: string, fields: ProductFields): Promise<ProductRow | undefined> {
      const [row] = await db
        .insert(products)
        .values({ sku, ...fields, version: 1, publishedVersion: 0 })
        .onConflictDoNothing({ target: products.sku })
        .returning();
      if (row) await applyDefaultMinStock(sku, row.defaultMinStock);
      return row;
    },

    /**
     * Replaces every editable field. An identical write changes nothing (no version bump, nothing to
     * publish), so a retried PUT is harmless. Undefined when the SKU does not exist.
     */
    async replace(sku: string, fields: ProductFields): Promise<ProductRow | undefined> {
      const [changed] = await db
        .update(products)
        .set({ ...fields, version: sql`${products.version} + 1`, updatedAt: sql`now()` })
        .where(
          and(
            eq(products.sku, sku),
            sql`(${products.name}, ${products.description}, ${products.category}, ${products.price},
              ${products.defaultMinStock}, ${products.active})
              is distinct from (${fields.name}::text, ${fields.description}::text, ${fields.category}::text,
              ${fields.price}::numeric, ${fields.defaultMinStock}::int4, ${fields.active}::boolean)`,
          ),
        )
        .returning();
      if (!changed) return get(sku);
      await applyDefaultMinStock(sku, changed.defaultMinStock);
      return changed;
    },

    /** Soft delete: the row (and its history at the stores) stays; already inactive → unchanged. */
    async deactivate(sku: string): Promise<ProductRow | undefined> {
      const [changed] = await db
        .update(products)
        .set({ active: false, version: sql`${products.version} + 1`, updatedAt: sql`now()` })
        .where(and(eq(products.sku, sku), eq(products.active, true)))
        .returning();
      return changed ?? get(sku);
    },

    /** Keyset-paginated by sku; prices compared as NUMERIC in SQL, never as floats. */
    async list(filter: ProductFilter): Promise<ProductRow[]> {
      const pattern = filter.q ? containsPattern(filter.q) : undefined;
      const conditions: (SQL | undefined)[] = [
        filter.category !== undefined ? eq(products.category, filter.category) : undefined,
        filter.minPrice !== undefined ? sql`${products.price} >= ${filter.minPrice}::numeric` : undefined,
        filter.maxPrice !== undefined ? sql`${products.price} <= ${filter.maxPrice}::numeric` : undefined,
        pattern
          ? or(ilike(products.sku, pattern), ilike(products.name, pattern), ilike(products.description, pattern))
          : undefined,
        filter.active !== undefined ? eq(products.active, filter.active) : undefined,
        filter.afterSku !== undefined ? gt(products.sku, filter.afterSku) : undefined,
      ];
      return db
        .select()
        .from(products)
        .where(and(...conditions))
        .orderBy(asc(products.sku))
        .limit(filter.limit);
    },

    /**
     * Rows whose latest version is not in the catalog bucket yet, locked until the caller's transaction
     * ends: a concurrent write of the same SKU waits, and other publishers skip it, so the bucket can
     * never end on an older version than PostgreSQL.
     */
    lockUnpublished: (limit: number): Promise<ProductRow[]> =>
      db
        .select()
        .from(products)
        .where(sql`${products.version} > ${products.publishedVersion}`)
        .orderBy(asc(products.sku))
        .limit(limit)
        .for('update', { skipLocked: true }),

    async markPublished(rows: readonly Pick<ProductRow, 'sku' | 'version'>[]): Promise<void> {
      if (rows.length === 0) return;
      const values = JSON.stringify(rows.map(({ sku, version }) => ({ sku, version })));
      await db.execute(sql`
        update ${products} as p set published_version = v.version
        from json_to_recordset(${values}::json) as v(sku text, version int4)
        where p.sku = v.sku and p.published_version < v.version`);
    },
  };
}
export type ProductsRepository = ReturnType<typeof createProductsRepository>;
