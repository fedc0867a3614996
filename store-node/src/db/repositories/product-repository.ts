import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { StoreDb } from '../db-plugin';
import { products, stock } from '../schema';

export type ProductRecord = typeof products.$inferSelect;
export type ProductInput = Omit<
  ProductRecord,
  'updatedAt' | 'description' | 'category' | 'defaultMinStock' | 'active'
> &
  Partial<Pick<ProductRecord, 'description' | 'category' | 'defaultMinStock' | 'active'>>;

export function createProductRepository(db: StoreDb) {
  return {
    find: (sku: string) => db.select().from(products).where(eq(products.sku, sku)).get(),

    list(filter: { after?: string | undefined; category?: string | undefined; limit: number }) {
      const conditions = [
        filter.after ? gt(products.sku, filter.after) : undefined,
        filter.category ? eq(products.category, filter.category) : undefined,
      ].filter((c) => c !== undefined);
      const rows = db
        .select()
        .from(products)
        .where(conditions.length ? and(...conditions) : undefined)
        .orderBy(asc(products.sku))
        .limit(filter.limit + 1)
        .all();
      const page = rows.slice(0, filter.limit);
      return { items: page, nextCursor: rows.length > filter.limit ? (page.at(-1)?.sku ?? null) : null };
    },

    /** Inserts or updates catalog rows and makes sure each has a stock row (at 0, version 0). */
    upsert(items: readonly ProductInput[], updatedAt: string): number {
      for (const item of items) {
        const row = { ...item, updatedAt };
        db.insert(products)
          .values(row)
          .onConflictDoUpdate({
            target: products.sku,
            set: {
              name: sql`excluded.name`,
              description: sql`excluded.description`,
              category: sql`excluded.category`,
              price: sql`excluded.price`,
              defaultMinStock: sql`excluded.default_min_stock`,
              active: sql`excluded.active`,
              updatedAt: sql`excluded.updated_at`,
            },
          })
          .run();
        db.insert(stock).values({ sku: item.sku, updatedAt }).onConflictDoNothing().run();
      }
      return items.length;
    },
  };
}
export type ProductRepository = ReturnType<typeof createProductRepository>;
