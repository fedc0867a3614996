import { buildStoreApp } from './app';
import { loadStoreConfig } from './config/config';
import type { ProductInput } from './db/repositories/product-repository';

/**
 * Loads a catalog and opening stock straight into a (stopped) store's SQLite, through the same
 * services the POS uses, so opening stock is in the ledger like any receipt. Until the catalog
 * arrives from central this is how a store learns its products; it is idempotent for products,
 * and receives opening stock only for SKUs that have none yet.
 */
export async function seedStore(opts: {
  dataDir: string;
  storeId: string;
  products: readonly ProductInput[];
  openingStock: (sku: string) => number;
}): Promise<{ products: number; received: number }> {
  const config = loadStoreConfig({
    STORE_ID: opts.storeId,
    STORE_TOKEN: 'seed-only-not-listening',
    DATA_DIR: opts.dataDir,
    SYNC_ENABLED: 'false',
    LOG_LEVEL: 'silent',
  });
  const app = await buildStoreApp(config, { logger: false });
  try {
    await app.ready();
    const now = new Date().toISOString();
    await app.writes.submit(() => app.repos.products.upsert(opts.products, now));
    const lines = opts.products
      .filter((p) => (app.repos.stock.find(p.sku)?.version ?? 0) === 0)
      .map((p) => ({ sku: p.sku, qty: opts.openingStock(p.sku) }))
      .filter((l) => l.qty > 0);
    for (let i = 0; i < lines.length; i += 100) {
      const chunk = lines.slice(i, i + 100);
      await app.writes.submit(() => app.inventory.receive(chunk, 'opening-stock'));
    }
    return { products: opts.products.length, received: lines.length };
  } finally {
    await app.close();
  }
}
