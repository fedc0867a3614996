/**
 * Run by gc-promotion.test.ts through promotedPerScavenge (shared/testing/gc-trace.ts, which sets the
 * GC flags): sells, holds and collects holds on a real store (in-process, the POS path without HTTP),
 * and prints MARK once warmed up so the test reads only what the later scavenges promoted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStoreApp } from '../../src/app';
import { loadStoreConfig } from '../../src/config/config';
import { seedStore } from '../../src/seed-store';

const SKUS = 200;
const dataDir = mkdtempSync(join(tmpdir(), 'stocksync-promotion-'));
const products = Array.from({ length: SKUS }, (_, i) => ({ sku: `P-${i}`, name: `P ${i}`, price: '1.00' }));
await seedStore({ dataDir, storeId: 's1', products, openingStock: () => 10_000_000 });
const config = loadStoreConfig({
  STORE_ID: 's1',
  STORE_TOKEN: 'promotion-probe-token',
  PORT: '0',
  SYNC_ENABLED: 'false',
  LOG_LEVEL: 'silent',
  DATA_DIR: dataDir,
});
const app = await buildStoreApp(config, { logger: false });
await app.ready();

const WARM_UP = 5_000;
const SALES = 40_000;
const linesOf = (k: number) =>
  Array.from({ length: 1 + (k % 3) }, (_, j) => ({ sku: `P-${(k * 7 + j * 31) % SKUS}`, qty: 1 }));
let marked = false;
for (let sold = 0; sold < SALES; ) {
  if (!marked && sold >= WARM_UP) {
    marked = true;
    console.log('MARK');
  }
  // A few sales per turn, as a busy till sends them: the event loop turns between batches.
  await new Promise<void>((resolve) => setImmediate(resolve));
  for (let n = 0; n < 10; n++) app.inventory.sell(linesOf(sold++));
  // And a POS hold that is collected: the reservation path builds its views the same way.
  const hold = app.reservations.hold({ sku: `P-${sold % SKUS}`, qty: 1, ttlSeconds: 600, source: 'pos' });
  app.reservations.confirm(hold.id);
}
await app.close();
rmSync(dataDir, { recursive: true, force: true });
