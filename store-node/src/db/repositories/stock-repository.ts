import { and, asc, eq, gt, like, sql } from 'drizzle-orm';
import type { StoreDb } from '../db-plugin';
import { products, stock } from '../schema';

export type StockView = {
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
  minStock: number;
  version: number;
  low: boolean;
};
export type StockRow = StockView & { active: boolean };
type StockRowRaw = { sku: string; onHand: number; reserved: number; version: number; minStock: number; active: number };

const minStockExpr = sql<number>`coalesce(${stock.minStock}, ${products.defaultMinStock})`;
const columns = {
  sku: stock.sku,
  onHand: stock.onHand,
  reserved: stock.reserved,
  version: stock.version,
  minStock: minStockExpr,
  active: products.active,
};

function toView(row: {
  sku: string;
  onHand: number;
  reserved: number;
  version: number;
  minStock: number;
  active: boolean | number;
}): StockView {
  const available = row.onHand - row.reserved;
  return {
    sku: row.sku,
    onHand: row.onHand,
    reserved: row.reserved,
    available,
    minStock: row.minStock,
    version: row.version,
    // As at central: a product HQ no longer sells is not "low" (nobody will restock it).
    low: Boolean(row.active) && available < row.minStock,
  };
}

export function createStockRepository(db: StoreDb) {
  // Read for every line of every POS write: a plain prepared statement (see ledger-repository).
  const bySku = db.$client.prepare<[string], StockRowRaw>(
    `SELECT s.sku, s.on_hand AS onHand, s.reserved, s.version, coalesce(s.min_stock, p.default_min_stock) AS minStock,
            p.active FROM stock s JOIN products p ON p.sku = s.sku WHERE s.sku = ?`,
  );

  return {
    /** The SKU's stock with its product's active flag, or undefined if the store never heard of it. */
    find(sku: string): StockRow | undefined {
      const row = bySku.get(sku);
      // Not `{ ...toView(row), active }`: see sealEvent in shared/src/hash-chain.ts (V8 promotes such copies).
      return row ? Object.assign(toView(row), { active: row.active === 1 }) : undefined;
    },

    list(filter: {
      lowStock?: boolean | undefined;
      skuPrefix?: string | undefined;
      after?: string | undefined;
      limit: number;
    }) {
      const conditions = [
        filter.after ? gt(stock.sku, filter.after) : undefined,
        filter.skuPrefix ? like(stock.sku, `${filter.skuPrefix.replace(/[%_\\]/g, '\\$&')}%`) : undefined,
        filter.lowStock
          ? and(eq(products.active, true), sql`(${stock.onHand} - ${stock.reserved}) < ${minStockExpr}`)
          : undefined,
      ].filter((c) => c !== undefined);
      const rows = db
        .select(columns)
        .from(stock)
        .innerJoin(products, eq(products.sku, stock.sku))
        .where(conditions.length > 0 ? and(...conditions) : undefined)
        .orderBy(asc(stock.sku))
        .limit(filter.limit + 1)
        .all();
      const page = rows.slice(0, filter.limit).map(toView);
      return { items: page, nextCursor: rows.length > filter.limit ? (page.at(-1)?.sku ?? null) : null };
    },

    setMinStock(sku: string, minStock: number | null, updatedAt: string): boolean {
      return db.update(stock).set({ minStock, updatedAt }).where(eq(stock.sku, sku)).run().changes > 0;
    },
  };
}
export type StockRepository = ReturnType<typeof createStockRepository>;
