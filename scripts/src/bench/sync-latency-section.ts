import { availableParallelism } from 'node:os';
import { seedStore } from '../../../store-node/src/seed-store';
import {
  BENCH_STORE_TOKEN,
  commitToCentralQuantiles,
  metricValue,
  startChainFixture,
  storeSeqs,
  waitUntil,
} from './chain-fixture';
import { busyShare, machineCpuTicks, processCpuMs } from './cpu-usage';
import { runLoad } from './load-generator';
import type { BenchSection } from './report';
import { commitToCentralChart } from './section-charts';

const SKUS = Array.from({ length: 100 }, (_, i) => `L-${i}`);

/**
 * `rate` one-line sales per second round-robin over the stores for `seconds`, open loop from a child
 * process (so the driver neither waits for answers nor shares the bench process's event loop).
 */
async function paced(
  urls: string[],
  rate: number,
  seconds: number,
  onSecond: (second: number, okPerSec: number) => void,
): Promise<{ sent: number; failed: number; p50Ms: number; p99Ms: number }> {
  const bodies = SKUS.map((sku) => JSON.stringify({ lines: [{ sku, qty: 1 }] }));
  const result = await runLoad(
    {
      url: urls.map((url) => `${url}/sales`),
      method: 'POST',
      headers: { authorization: `Bearer ${BENCH_STORE_TOKEN}`, 'content-type': 'application/json' },
      bodies,
      connections: 8,
      durationSec: seconds,
      warmupSec: 0,
      openLoopRate: rate,
    },
    (tick) => onSecond(tick.second, tick.okPerSec),
  );
  const failed = result.errors + result.non2xx + result.timeouts;
  return { sent: result.ok + failed, failed, p50Ms: result.p50Ms, p99Ms: result.p99Ms };
}

/**
 * DESIGN §9: store commit → visible at central, at 2,000 events/s spread over 10 store nodes (`target`).
 * Also run with one store at the same per-store rate: in a real chain each store node has a machine of
 * its own, and here the ten share two cores with central, so that run shows the path without them.
 */
export function syncLatencySection(storeCount: number, rate: number, target: boolean): BenchSection {
  const storeIds = Array.from({ length: storeCount }, (_, i) => `l${i + 1}`);
  const stores = `${storeCount} store${storeCount === 1 ? '' : 's'}`;
  const label = `${stores}, ${rate.toLocaleString('en-US')} events/s`;
  return {
    name: `Sync: store commit → visible at central (${label})`,
    async run(ctx) {
      const chain = await startChainFixture({ natsUrl: ctx.natsUrl, databaseUrl: ctx.databaseUrl });
      try {
        ctx.progress(`seeding and starting ${storeIds.length} store nodes`);
        const urls: string[] = [];
        const storePids: Array<number | undefined> = [];
        for (const storeId of storeIds) {
          const products = SKUS.map((sku) => ({ sku, name: sku, price: '1.00' }));
          await seedStore({ dataDir: chain.storeDir(storeId), storeId, products, openingStock: () => 1_000_000 });
          const store = await chain.startStore(storeId);
          urls.push(store.url);
          storePids.push(store.pid);
        }
        // Where the CPU goes decides this figure on two cores: read it around the paced run.
        const storesCpu = (): number => storePids.reduce<number>((sum, pid) => sum + processCpuMs(pid), 0);
        const opening = await storeSeqs(urls);
        await waitUntil(async () => (await chain.appliedSeq(storeIds)) === opening, 60_000, 50);
        const duration = ctx.load.durationSec;
        const metricsBefore = await (await fetch(`${chain.central.url}/metrics`)).text();
        const cpuBefore = { stores: storesCpu(), central: processCpuMs(chain.central.pid), machine: machineCpuTicks() };
        ctx.progress(`${rate} sales/s (1 event each) over ${stores}`);
        const pacedFrom = performance.now();
        const pos = await paced(urls, rate, duration, (second, okPerSec) =>
          ctx.progressDetail(`${second} s / ${duration} s, ${okPerSec.toLocaleString('en-US')} sales/s`),
        );
        const { sent, failed } = pos;
        const pacedMs = performance.now() - pacedFrom;
        const cpu = {
          stores: storesCpu() - cpuBefore.stores,
          central: processCpuMs(chain.central.pid) - cpuBefore.central,
          busy: busyShare(cpuBefore.machine, machineCpuTicks()),
        };
        ctx.progress('waiting for central to converge');
        const expected = await storeSeqs(urls);
        const converged = await waitUntil(async () => (await chain.appliedSeq(storeIds)) === expected, 60_000, 50);
        const metrics = await (await fetch(`${chain.central.url}/metrics`)).text();
        const quantiles = commitToCentralQuantiles(metricsBefore, metrics);
        ctx.chart(commitToCentralChart(`${stores}, ${rate.toLocaleString('en-US')} sales/s total`, quantiles));
        const q = (p: number) => quantiles.find((x) => x.p === p * 100)?.ms ?? Number.NaN;
        const js = ctx.raw.jetstream;
        const counter = (name: string) => metricValue(metrics, name);
        const flushes = counter('central_apply_flush_seconds_count');
        return [
          {
            figure: `events sent at ${rate}/s over ${stores} (failed ${failed}, converged ${converged})`,
            value: sent,
            unit: 'events',
          },
          {
            figure: 'commit → visible at central, p50',
            value: q(0.5),
            unit: 'ms',
            ...(js ? { rawLimit: js.p50Ms, rawLimitLabel: 'JetStream publish→consume p50' } : {}),
            ...(target ? { target: '≤ 5 ms' } : {}),
          },
          {
            figure: 'commit → visible at central, p99',
            value: q(0.99),
            unit: 'ms',
            ...(js ? { rawLimit: js.p99Ms, rawLimitLabel: 'JetStream publish→consume p99' } : {}),
            ...(target ? { target: '≤ 25 ms' } : {}),
          },
          { figure: 'commit → visible at central, p99.9', value: q(0.999), unit: 'ms' },
          {
            figure: `machine CPU busy during the run (${stores}, central, NATS, PostgreSQL, driver)`,
            value: cpu.busy * 100,
            unit: '%',
          },
          // A POS queue far above the store's own p50 means the stores could not keep up with the rate on
          // this machine: the commit → central figures then measure an overload, not the sync path.
          {
            figure: "POS sale p50 during the run (open loop, from each sale's due time)",
            value: pos.p50Ms,
            unit: 'ms',
          },
          { figure: 'POS sale p99 during the run', value: pos.p99Ms, unit: 'ms' },
          {
            figure: `CPU the store processes used, in cores (the machine has ${availableParallelism()})`,
            value: cpu.stores / pacedMs,
            unit: 'cores',
          },
          {
            figure: 'store CPU per sale (all store processes, all threads)',
            value: (cpu.stores * 1000) / sent,
            unit: 'µs',
          },
          { figure: 'central CPU per event', value: (cpu.central * 1000) / sent, unit: 'µs' },
          {
            figure: 'central apply transactions: mean duration',
            value: (counter('central_apply_flush_seconds_sum') / flushes) * 1000,
            unit: 'ms',
          },
          {
            figure: 'central apply transactions: mean events per transaction',
            value: counter('central_apply_batch_size_sum') / flushes,
            unit: 'events',
          },
        ];
      } finally {
        await chain.dispose();
      }
    },
  };
}
