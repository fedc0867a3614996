import { seedStore } from '../../../store-node/src/seed-store';
import { startChainFixture, waitUntil } from './chain-fixture';
import { sellOffline } from './offline-store';
import type { BenchSection, Row } from './report';

const SKUS = Array.from({ length: 200 }, (_, i) => `C-${i}`);

/** DESIGN §9: a store back after N offline events converges at central; time from its start-up. */
export function catchUpSection(events: number): BenchSection {
  return {
    name: `Catch-up: store back with ${events.toLocaleString('en-US')} queued events`,
    async run(ctx) {
      const chain = await startChainFixture({ natsUrl: ctx.natsUrl, databaseUrl: ctx.databaseUrl });
      try {
        const storeId = 'c1';
        const dataDir = chain.storeDir(storeId);
        ctx.progress(`selling ${events} events offline`);
        await seedStore({
          dataDir,
          storeId,
          products: SKUS.map((sku) => ({ sku, name: sku, price: '1.00' })),
          openingStock: () => 10_000_000,
        });
        const lastSeq = await sellOffline({ dataDir, storeId, events, skus: SKUS });
        ctx.progress('store back online');
        const started = performance.now();
        await chain.startStore(storeId);
        const converged = await waitUntil(
          async () => {
            return (await chain.appliedSeq([storeId])) === lastSeq;
          },
          120_000,
          100,
        );
        const seconds = (performance.now() - started) / 1000;
        const pg = ctx.raw.pg;
        const rows: Row[] = [
          {
            figure: `time to converge at central (${converged ? 'converged' : 'NOT converged'}, incl. store start-up)`,
            value: seconds,
            unit: 's',
            ...(pg
              ? { rawLimit: lastSeq / pg.batchedRowsPerSec, rawLimitLabel: 'same rows as raw batched PG inserts' }
              : {}),
            ...(events === 100_000 ? { target: '≤ 10 s' } : {}),
          },
          { figure: 'catch-up rate', value: lastSeq / seconds, unit: 'events/s' },
        ];
        return rows;
      } finally {
        await chain.dispose();
      }
    },
  };
}
