import { seedStore } from '../../../store-node/src/seed-store';
import {
  BENCH_STORE_TOKEN,
  type ChainFixture,
  commitToCentralQuantiles,
  startChainFixture,
  storeSeqs,
  waitUntil,
} from './chain-fixture';
import { type LoadTick, runLoad } from './load-generator';
import type { BenchChart, BenchContext, BenchSection, Row } from './report';
import { commitToCentralChart, describeTick, posThroughputChart } from './section-charts';

const SKUS = Array.from({ length: 100 }, (_, i) => `S-${i}`);
/** Total sales/s of the latency run, the same for every store count so only the count changes. */
const RATE = Number(process.env.BENCH_SCALE_RATE ?? 1_000);
/** Store nodes started at once: each start compiles TypeScript on one of the two cores. */
const START_BATCH = 5;

const SALE_BODIES = Array.from({ length: 97 }, (_, i) =>
  JSON.stringify({ lines: [{ sku: SKUS[(i * 7) % SKUS.length], qty: 1 }] }),
);

/** The smallest multiple of `stores` that is at least `wanted`, so every store gets as many connections. */
function connectionsFor(stores: number, wanted: number): number {
  return Math.ceil(wanted / stores) * stores;
}

async function startStores(ctx: BenchContext, chain: ChainFixture, storeIds: string[]): Promise<string[]> {
  const urls: string[] = [];
  for (let i = 0; i < storeIds.length; i += START_BATCH) {
    const batch = storeIds.slice(i, i + START_BATCH);
    const started = await Promise.all(batch.map((id) => chain.startStore(id)));
    urls.push(...started.map((s) => s.url));
    ctx.progressDetail(`${urls.length} / ${storeIds.length} started`);
  }
  return urls;
}

/**
 * How cost grows with the number of store nodes (issue #6): N real store processes syncing to one central.
 * First a fixed total rate spread over all stores, for commit → central latency; then as fast as they answer,
 * for POS throughput of all stores together. The load generator and every process share the machine's cores.
 */
export function scalingSection(stores: number): BenchSection {
  const label = `${stores} store node${stores === 1 ? '' : 's'}`;
  return {
    name: `Scaling: ${label} syncing to one central`,
    async run(ctx) {
      const chain = await startChainFixture({ natsUrl: ctx.natsUrl, databaseUrl: ctx.databaseUrl });
      try {
        const storeIds = Array.from({ length: stores }, (_, i) => `s${i + 1}`);
        ctx.progress(`seeding ${label}`);
        for (const storeId of storeIds) {
          const products = SKUS.map((sku) => ({ sku, name: sku, price: '1.00' }));
          await seedStore({ dataDir: chain.storeDir(storeId), storeId, products, openingStock: () => 10_000_000 });
        }
        ctx.progress(`starting ${label}`);
        const startedAt = performance.now();
        const urls = await startStores(ctx, chain, storeIds);
        const startupSec = (performance.now() - startedAt) / 1000;
        const converge = async (timeoutMs: number) => {
          const expected = await storeSeqs(urls);
          return waitUntil(async () => (await chain.appliedSeq(storeIds)) === expected, timeoutMs, 50);
        };
        ctx.progress('waiting for the opening stock at central');
        await converge(120_000);

        const load = {
          url: urls.map((u) => `${u}/sales`),
          method: 'POST' as const,
          headers: { authorization: `Bearer ${BENCH_STORE_TOKEN}`, 'content-type': 'application/json' },
          bodies: SALE_BODIES,
          durationSec: ctx.load.durationSec,
          warmupSec: ctx.load.warmupSec,
        };
        const connections = connectionsFor(stores, ctx.load.connections);
        const metricsBefore = await (await fetch(`${chain.central.url}/metrics`)).text();
        const onTick = (tick: LoadTick) => ctx.progressDetail(describeTick(tick, ctx.load.durationSec, 'sales/s'));
        ctx.progress(`${RATE.toLocaleString('en-US')} sales/s over ${label}`);
        const paced = await runLoad(
          // As many connections as the max run: when a busy machine answers slowly, few would cap the rate.
          { ...load, connections, overallRate: RATE },
          onTick,
        );
        ctx.progress('waiting for central to converge');
        const pacedConverged = await converge(60_000);
        // Read now: what central counted since the scrape before the paced run holds only its sales.
        const metricsAfter = await (await fetch(`${chain.central.url}/metrics`)).text();
        const quantiles = commitToCentralQuantiles(metricsBefore, metricsAfter);
        const q = (p: number) => quantiles.find((x) => x.p === p)?.ms ?? Number.NaN;

        ctx.progress(`max throughput, ${connections} connections over ${label}`);
        const max = await runLoad({ ...load, connections }, onTick);
        ctx.progress('waiting for central to drain the backlog');
        const loadEnded = performance.now();
        const drained = await converge(120_000);
        const drainSec = (performance.now() - loadEnded) / 1000;

        const noop = ctx.raw.noopFastify;
        const js = ctx.raw.jetstream;
        const rate = `${RATE.toLocaleString('en-US')} sales/s total`;
        for (const chart of scalingCharts(stores, rate, { max, paced, p50: q(50), p99: q(99), noop: noop?.reqPerSec }))
          ctx.chart(chart);
        ctx.chart(commitToCentralChart(`${label}, ${rate}`, quantiles));
        ctx.chart(posThroughputChart(`${label}: max throughput, publishers on`, max));
        const rows: Row[] = [
          {
            figure: `POS sales/s, all stores together (${connections} connections, errors ${max.errors + max.non2xx})`,
            value: max.reqPerSec,
            unit: 'sales/s',
            ...(noop ? { rawLimit: noop.reqPerSec, rawLimitLabel: 'no-op Fastify route, one process' } : {}),
          },
          { figure: 'POS p99 at max throughput', value: max.p99Ms, unit: 'ms' },
          {
            figure: `commit → visible at central, p50 at ${rate} (converged ${pacedConverged})`,
            value: q(50),
            unit: 'ms',
            ...(js ? { rawLimit: js.p50Ms, rawLimitLabel: 'JetStream publish→consume p50' } : {}),
          },
          {
            figure: `commit → visible at central, p99 at ${rate}`,
            value: q(99),
            unit: 'ms',
            ...(js ? { rawLimit: js.p99Ms, rawLimitLabel: 'JetStream publish→consume p99' } : {}),
          },
          { figure: `POS p99 at ${rate} (achieved ${Math.round(paced.reqPerSec)}/s)`, value: paced.p99Ms, unit: 'ms' },
          {
            figure: `central caught up after the max-throughput run (${drained ? 'converged' : 'NOT converged'})`,
            value: drainSec,
            unit: 's',
          },
          { figure: `start-up of ${label} (${START_BATCH} at a time)`, value: startupSec, unit: 's' },
        ];
        return rows;
      } finally {
        await chain.dispose();
      }
    },
  };
}

function scalingCharts(
  stores: number,
  rate: string,
  m: { max: { reqPerSec: number }; paced: { p99Ms: number }; p50: number; p99: number; noop: number | undefined },
): BenchChart[] {
  const at = (y: number) => [{ x: stores, y }];
  const throughput: BenchChart = {
    id: 'scaling-throughput',
    title: 'POS throughput vs store nodes (all stores together, one machine)',
    x: { title: 'store nodes (log scale)', scale: 'log' },
    // Log: the raw no-op route sits an order of magnitude or two above the stores on this machine.
    y: { title: 'sales/s (log scale)', scale: 'log' },
    series: [{ name: 'max sales/s, all stores together', points: at(m.max.reqPerSec) }],
  };
  if (m.noop !== undefined) throughput.series.push({ name: 'raw: no-op Fastify route', points: at(m.noop) });
  const latency: BenchChart = {
    id: 'scaling-latency',
    title: `Latency vs store nodes at ${rate}`,
    x: { title: 'store nodes (log scale)', scale: 'log' },
    y: { title: 'ms (log scale)', scale: 'log' },
    series: [
      { name: 'commit → visible at central, p50', points: at(m.p50) },
      { name: 'commit → visible at central, p99', points: at(m.p99) },
      { name: 'POS sale p99', points: at(m.paced.p99Ms) },
    ],
  };
  return [throughput, latency];
}
