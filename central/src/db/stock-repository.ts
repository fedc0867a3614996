import { and, asc, eq, getTableColumns, like, type SQL, sql } from 'drizzle-orm';
import type { Database } from './database';
import { products } from './hq-schema';
import { stock } from './schema';

export type StockRow = typeof stock.$inferSelect;
/** A row with what "low" means for it, as the low-stock alerts judge it (stocksync_low_stock). */
export type InventoryRow = StockRow & { effectiveMinStock: number; productActive: boolean };
export type StockState = { storeId: string; sku: string; onHand: number; reserved: number; version: number };
export type InventoryFilter = {
  storeId?: string | undefined;
  sku?: string | undefined;
  skuPrefix?: string | undefined;
  lowStock?: boolean | undefined;
  after?: { storeId: string; sku: string } | undefined;
  limit: number;
};

const available = sql`(${stock.onHand} - ${stock.reserved})`;
// A row born on the apply path has no min_stock of its own until a catalog write sets it: the product's.
const effectiveMin = sql<number>`coalesce(${stock.minStock}, ${products.defaultMinStock}, 0)`;
const productActive = sql<boolean>`coalesce(${products.active}, true)`;
const low = sql`(${productActive} and ${available} < ${effectiveMin})`;

/** LIKE pattern for a literal prefix (SKUs may contain `_`). */
function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Compare-and-set upsert: a row only moves to a strictly newer version, so a late or replayed event
 * (or a racing replica) can never regress a (store, sku). One row per (store, sku), passed as one
 * JSON parameter (see ledgerInsertStatement).
 */
export function stockUpsertStatement(rows: readonly StockState[], at: Date): SQL | null {
  if (rows.length === 0) return null;
  return sql`
    insert into ${stock} as s (store_id, sku, on_hand, reserved, version, updated_at)
    select r."storeId", r.sku, r."onHand", r.reserved, r.version, ${at.toISOString()}::timestamptz
    from json_to_recordset(${JSON.stringify(rows)}::json)
      as r("storeId" text, sku text, "onHand" int4, reserved int4, version int4)
    on conflict (store_id, sku) do update set
      on_hand = excluded.on_hand,
      reserved = excluded.reserved,
      version = excluded.version,
      updated_at = excluded.updated_at
    where s.version < excluded.version`;
}

export function createStockRepository(db: Database) {
  return {
    /** See stockUpsertStatement: never moves a (store, sku) to an older or equal version. */
    async upsertNewer(rows: readonly StockState[], at: Date): Promise<void> {
      const statement = stockUpsertStatement(rows, at);
      if (statement) await db.execute(statement);
    },

    /** Keyset-paginated by (store_id, sku). */
    async list(filter: InventoryFilter): Promise<InventoryRow[]> {
      const conditions: (SQL | undefined)[] = [
        filter.storeId ? eq(stock.storeId, filter.storeId) : undefined,
        filter.sku ? eq(stock.sku, filter.sku) : undefined,
        filter.skuPrefix ? like(stock.sku, prefixPattern(filter.skuPrefix)) : undefined,
        filter.lowStock === true ? low : undefined,
        filter.lowStock === false ? sql`not ${low}` : undefined,
        // Row-value comparison so the (store_id, sku) primary key serves the keyset page.
        filter.after
          ? sql`(${stock.storeId}, ${stock.sku}) > (${filter.after.storeId}, ${filter.after.sku})`
          : undefined,
      ];
      return db
        .select({ ...getTableColumns(stock), effectiveMinStock: effectiveMin, productActive })
        .from(stock)
        .leftJoin(products, eq(products.sku, stock.sku))
        .where(and(...conditions))
        .orderBy(asc(stock.storeId), asc(stock.sku))
        .limit(filter.limit);
    },

    async bySku(sku: string): Promise<StockRow[]> {
      return db.select().from(stock).where(eq(stock.sku, sku)).orderBy(asc(stock.storeId));
    },

    /** The whole projection's (onHand, reserved, version), for reconciliation and rebuild checks. */
    async states(): Promise<StockState[]> {
      return db
        .select({
          storeId: stock.storeId,
          sku: stock.sku,
          onHand: stock.onHand,
          reserved: stock.reserved,
          version: stock.version,
        })
        .from(stock)
        .orderBy(asc(stock.storeId), asc(stock.sku));
    },
  };
}
export type StockRepository = ReturnType<typeof createStockRepository>;
