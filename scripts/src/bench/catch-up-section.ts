import { createCentralHistoryClient } from '../../../store-node/src/recovery/central-history-client';
import { recoverStore } from '../../../store-node/src/recovery/recover-store';
import { seedStore } from '../../../store-node/src/seed-store';
import { httpCall } from '../chain/http-client';
import { BENCH_ADMIN_TOKEN, BENCH_VIEWER_TOKEN, type ChainFixture, startChainFixture } from './chain-fixture';
import { sellOffline } from './offline-store';
import type { BenchSection, Row } from './report';
import { catchUpCurveChart, catchUpScalingChart } from './section-charts';

const SKUS = Array.from({ length: 200 }, (_, i) => `C-${i}`);
const POLL_MS = 100;

/**
 * DESIGN §9: a store back after N offline events converges at central; time from its start-up. Central's
 * cursor is polled while it catches up, which gives the catch-up curve.
 */
export function catchUpSection(events: number): BenchSection {
  const size = events.toLocaleString('en-US');
  return {
    name: `Catch-up: store back with ${size} queued events`,
    async run(ctx) {
      const chain = await startChainFixture({ natsUrl: ctx.natsUrl, databaseUrl: ctx.databaseUrl });
      try {
        const storeId = 'c1';
        const dataDir = chain.storeDir(storeId);
        ctx.progress(`selling ${size} events offline`);
        const products = SKUS.map((sku) => ({ sku, name: sku, price: '1.00' }));
        await createAtCentral(chain, products); // the rebuild below finds them there, as in production
        await seedStore({ dataDir, storeId, products, openingStock: () => 10_000_000 });
        const lastSeq = await sellOffline({ dataDir, storeId, events, skus: SKUS });
        ctx.progress('store back online');
        const started = performance.now();
        await chain.startStore(storeId);
        // A floor of 2,000 events/s, far below the ~10k/s seen so far: a slow machine converges, a stuck one ends.
        const deadline = started + Math.max(120_000, events / 2);
        const curve: Array<{ x: number; y: number }> = [];
        let applied = 0;
        while (applied < lastSeq && performance.now() < deadline) {
          applied = await chain.appliedSeq([storeId]);
          const seconds = (performance.now() - started) / 1000;
          curve.push({ x: seconds, y: applied });
          ctx.progressDetail(`${applied.toLocaleString('en-US')} / ${lastSeq.toLocaleString('en-US')} applied`);
          if (applied < lastSeq) await new Promise((r) => setTimeout(r, POLL_MS));
        }
        const converged = applied === lastSeq;
        const seconds = (performance.now() - started) / 1000;
        const pg = ctx.raw.pg;
        const rawSeconds = pg ? lastSeq / pg.batchedRowsPerSec : undefined;
        ctx.chart(catchUpCurveChart(`${size} queued`, curve));
        ctx.chart(catchUpScalingChart(events, seconds, rawSeconds));
        const rows: Row[] = [
          {
            figure: `time to converge at central (${converged ? 'converged' : 'NOT converged'}, incl. store start-up)`,
            value: seconds,
            unit: 's',
            ...(rawSeconds !== undefined
              ? { rawLimit: rawSeconds, rawLimitLabel: 'same rows as raw batched PG inserts' }
              : {}),
            ...(events === 100_000 ? { target: '≤ 10 s' } : {}),
          },
          { figure: 'catch-up rate', value: lastSeq / seconds, unit: 'events/s' },
        ];
        if (converged) rows.push(...(await rebuildFromCentral(chain, storeId, lastSeq, ctx)));
        return rows;
      } finally {
        await chain.dispose();
      }
    },
  };
}

async function createAtCentral(
  chain: ChainFixture,
  products: ReadonlyArray<{ sku: string; name: string; price: string }>,
) {
  const hq = { url: chain.central.url, token: BENCH_ADMIN_TOKEN };
  for (const product of products) {
    const res = await httpCall(hq, 'POST', '/products', product);
    if (res.status !== 201) throw new Error(`product ${product.sku}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** The same store's disk lost with no backup: `store:recover` into an empty directory replays every event from central. */
async function rebuildFromCentral(
  chain: ChainFixture,
  storeId: string,
  lastSeq: number,
  ctx: Parameters<BenchSection['run']>[0],
): Promise<Row[]> {
  ctx.progress('rebuilding the store from central into an empty directory');
  const started = performance.now();
  const report = await recoverStore({
    dataDir: chain.storeDir(`${storeId}-rebuilt`),
    storeId,
    central: createCentralHistoryClient({ baseUrl: chain.central.url, token: BENCH_VIEWER_TOKEN, storeId }),
    posHoldHours: 24,
    progress: (line) => ctx.progressDetail(line),
  });
  const seconds = (performance.now() - started) / 1000;
  if (report.toSeq !== lastSeq) throw new Error(`rebuilt up to ${report.toSeq}, central holds ${lastSeq}`);
  const sqlite = ctx.raw.sqlite;
  return [
    { figure: 'store rebuilt from central, no backup (store:recover, empty directory)', value: seconds, unit: 's' },
    {
      figure: 'rebuild rate',
      value: report.events / seconds,
      unit: 'events/s',
      ...(sqlite
        ? { rawLimit: sqlite.full50OpsPerSec, rawLimitLabel: 'SQLite FULL 3-statement tx, 50 per commit' }
        : {}),
    },
  ];
}
