/**
 * Brings central's catalog back from the NATS buckets it publishes to the stores, after central lost
 * its database without a backup (operations.md, "Restore"). Adds what the database lacks, overwrites
 * nothing, in one transaction. `npm run central:import-catalog`
 *   NATS_URL, NATS_PREFIX  as central's (NATS_URL may carry user:password@)
 *   DATABASE_URL           central's PostgreSQL (replicas may keep running)
 *   DATA_DIR               without DATABASE_URL: central's embedded PGlite directory (central must be stopped)
 */
import { connect } from '@nats-io/transport-node';
import { natsConnectOptions, natsNames } from '@stocksync/shared';
import { importCatalogFromBuckets } from '../../central/src/catalog/catalog-import';
import { openCentralDatabaseFromEnv } from './central-database-from-env';

const nc = await connect({ ...natsConnectOptions(process.env.NATS_URL ?? 'nats://127.0.0.1:4222'), timeout: 5_000 });
const { handle, where } = await openCentralDatabaseFromEnv();
try {
  const report = await importCatalogFromBuckets(nc, natsNames(process.env.NATS_PREFIX ?? ''), handle.db);
  const { products, storeMinimums } = report;
  process.stdout.write(
    `catalog imported into ${where}: ` +
      `${products.imported} products added (${products.alreadyHere} already there), ` +
      `${storeMinimums.imported} store minimums added (${storeMinimums.alreadyHere} already there), ` +
      `${report.alertsOpened} low-stock alerts opened\n`,
  );
  if (report.alertsUnannounced > 0)
    process.stdout.write(`${report.alertsUnannounced} alert changes not announced on NATS (GET /alerts has them)\n`);
  for (const [what, keys] of [
    ['catalog', products.unreadable],
    ['store settings', storeMinimums.unreadable],
  ] as const) {
    if (keys.length > 0)
      process.stdout.write(`skipped ${keys.length} unreadable ${what} entries: ${keys.join(', ')}\n`);
  }
} finally {
  await handle.close();
  await nc.close();
}
