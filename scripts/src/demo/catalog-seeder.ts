import { createHash } from 'node:crypto';
import { httpCall, pollUntil, type ServiceClient } from '../chain/http-client';
import type { CatalogProduct } from './demo-catalog';

export type CatalogCounts = { created: number; updated: number; unchanged: number };
export type StockCounts = { storeId: string; skus: number; units: number; alreadyStocked: number };

type CentralProduct = CatalogProduct & { active: boolean };
type Page<T> = { items: T[]; nextCursor: string | null };

function expectStatus(what: string, status: number, ok: readonly number[], body: unknown): void {
  if (!ok.includes(status)) throw new Error(`${what} → HTTP ${status}: ${JSON.stringify(body)}`);
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function centralCatalog(central: ServiceClient): Promise<Map<string, CentralProduct>> {
  const found = new Map<string, CentralProduct>();
  let cursor: string | null = null;
  do {
    const query: string = `/products?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await httpCall<Page<CentralProduct>>(central, 'GET', query);
    expectStatus('GET /products', res.status, [200], res.body);
    for (const p of res.body.items) found.set(p.sku, p);
    cursor = res.body.nextCursor;
  } while (cursor);
  return found;
}

const sameProduct = (a: CentralProduct, b: CatalogProduct) =>
  a.active &&
  a.name === b.name &&
  a.description === b.description &&
  a.category === b.category &&
  a.price === b.price &&
  a.defaultMinStock === b.defaultMinStock;

/**
 * Creates missing products and replaces changed ones through central's catalog API (admin token).
 * Idempotent: a second run reports everything unchanged.
 */
export async function seedCatalog(central: ServiceClient, products: readonly CatalogProduct[]): Promise<CatalogCounts> {
  const existing = await centralCatalog(central);
  const counts: CatalogCounts = { created: 0, updated: 0, unchanged: 0 };
  await inParallel(products, 8, async (product) => {
    const current = existing.get(product.sku);
    if (current && sameProduct(current, product)) {
      counts.unchanged++;
      return;
    }
    if (current) {
      const { sku, ...fields } = product;
      const res = await httpCall(central, 'PUT', `/products/${sku}`, { ...fields, active: true });
      expectStatus(`PUT /products/${sku}`, res.status, [200], res.body);
      counts.updated++;
      return;
    }
    const res = await httpCall(central, 'POST', '/products', product);
    expectStatus(`POST /products ${product.sku}`, res.status, [201], res.body);
    counts.created++;
  });
  return counts;
}

async function storeSkus<T extends { sku: string }>(store: ServiceClient, path: string): Promise<T[]> {
  const items: T[] = [];
  let after: string | null = null;
  do {
    const query: string = `${path}?limit=500${after ? `&after=${encodeURIComponent(after)}` : ''}`;
    const res = await httpCall<{ items: T[]; nextCursor: string | null }>(store, 'GET', query);
    expectStatus(`GET ${path}`, res.status, [200], res.body);
    items.push(...res.body.items);
    after = res.body.nextCursor;
  } while (after);
  return items;
}

/**
 * Receives opening stock at a running store for every SKU that has never had stock (version 0),
 * after waiting for the catalog to reach the store over NATS. Idempotent: stocked SKUs are skipped,
 * and each receipt carries an Idempotency-Key derived from its lines, so a retried run cannot double it.
 */
export async function seedOpeningStock(
  store: ServiceClient & { storeId: string },
  products: readonly CatalogProduct[],
  quantity: (skuIndex: number) => number,
  timeoutMs = 60_000,
): Promise<StockCounts> {
  const wanted = new Set(products.map((p) => p.sku));
  await pollUntil(
    async () => (await storeSkus<{ sku: string }>(store, '/products')).filter((p) => wanted.has(p.sku)).length,
    (known) => known === wanted.size,
    { timeoutMs, intervalMs: 500, what: `the catalog to reach store ${store.storeId}` },
  );
  const versions = new Map(
    (await storeSkus<{ sku: string; version: number }>(store, '/stock')).map((s) => [s.sku, s.version]),
  );
  const lines = products
    .map((p, i) => ({ sku: p.sku, qty: quantity(i) }))
    .filter((l) => l.qty > 0 && (versions.get(l.sku) ?? 0) === 0);
  const counts: StockCounts = { storeId: store.storeId, skus: 0, units: 0, alreadyStocked: products.length };
  for (let i = 0; i < lines.length; i += 200) {
    const chunk = lines.slice(i, i + 200);
    const key = `opening-${store.storeId}-${createHash('sha256').update(JSON.stringify(chunk)).digest('hex').slice(0, 32)}`;
    const res = await httpCall(
      store,
      'POST',
      '/receipts',
      { lines: chunk, ref: 'opening-stock' },
      { 'idempotency-key': key },
    );
    expectStatus(`POST /receipts at ${store.storeId}`, res.status, [201], res.body);
    counts.skus += chunk.length;
    counts.units += chunk.reduce((sum, l) => sum + l.qty, 0);
  }
  counts.alreadyStocked = products.length - counts.skus;
  return counts;
}
