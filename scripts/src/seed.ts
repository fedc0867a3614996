/**
 * `npm run seed`: loads the demo catalog into a running central and opening stock into running
 * stores. Idempotent: a second run creates nothing and receives nothing.
 *
 *   CENTRAL_URL   central's base URL (default http://127.0.0.1:8080)
 *   HQ_ADMIN_TOKEN  central's admin token (required)
 *   STORE_URLS    optional, "s1=http://127.0.0.1:7001,s2=http://127.0.0.1:7002"; without it only the catalog
 *   STORE_TOKEN_<ID> (e.g. STORE_TOKEN_S1) or STORE_TOKEN for all stores
 */
import { seedCatalog, seedOpeningStock } from './demo/catalog-seeder';
import { demoCatalog, openingStock } from './demo/demo-catalog';

function fail(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

function storesFromEnv(env: NodeJS.ProcessEnv): Array<{ storeId: string; url: string; token: string }> {
  if (!env.STORE_URLS) return [];
  return env.STORE_URLS.split(',').map((entry) => {
    const [storeId, url] = entry.split('=').map((s) => s.trim());
    if (!storeId || !url) fail(`STORE_URLS: "${entry}" is not storeId=url`);
    const token = env[`STORE_TOKEN_${storeId.toUpperCase().replace(/-/g, '_')}`] ?? env.STORE_TOKEN;
    if (!token) fail(`STORE_TOKEN_${storeId.toUpperCase()} (or STORE_TOKEN) is required for store ${storeId}`);
    return { storeId, url: url.replace(/\/$/, ''), token };
  });
}

const env = process.env;
const centralUrl = (env.CENTRAL_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const adminToken = env.HQ_ADMIN_TOKEN ?? fail('HQ_ADMIN_TOKEN is required (central admin token)');
const stores = storesFromEnv(env);
const catalog = demoCatalog();

try {
  const counts = await seedCatalog({ url: centralUrl, token: adminToken }, catalog);
  process.stdout.write(
    `catalog at ${centralUrl}: ${catalog.length} products — ${counts.created} created, ${counts.updated} updated, ${counts.unchanged} unchanged\n`,
  );
  for (const [i, store] of stores.entries()) {
    const stock = await seedOpeningStock(store, catalog, (skuIndex) => openingStock(i, skuIndex));
    process.stdout.write(
      `opening stock at ${store.storeId} (${store.url}): ${stock.skus} SKUs / ${stock.units} units received, ${stock.alreadyStocked} SKUs already stocked\n`,
    );
  }
  if (stores.length === 0) process.stdout.write('no STORE_URLS: opening stock not seeded\n');
} catch (error) {
  fail(`seed failed: ${(error as Error).message}`);
}
