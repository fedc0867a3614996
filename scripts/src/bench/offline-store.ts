import { buildStoreApp } from '../../../store-node/src/app';
import { loadStoreConfig } from '../../../store-node/src/config/config';

/**
 * Fills a stopped store's SQLite with `events` unsent sale events, as a store that sold offline
 * for a long time would have: through the real services and group commit, in-process.
 */
export async function sellOffline(opts: { dataDir: string; storeId: string; events: number; skus: readonly string[] }) {
  const config = loadStoreConfig({
    STORE_ID: opts.storeId,
    STORE_TOKEN: 'offline-only-not-listening',
    DATA_DIR: opts.dataDir,
    SYNC_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    SQLITE_SYNCHRONOUS: 'NORMAL',
  });
  const app = await buildStoreApp(config, { logger: false });
  try {
    await app.ready();
    for (let done = 0; done < opts.events; ) {
      const batch = Math.min(1_000, opts.events - done);
      await Promise.all(
        Array.from({ length: batch }, (_, i) =>
          app.writes.submit(() => app.inventory.sell([{ sku: opts.skus[(done + i) % opts.skus.length]!, qty: 1 }])),
        ),
      );
      done += batch;
    }
    return app.repos.ledger.lastSeq();
  } finally {
    await app.close();
  }
}
