import { seedStore } from '../../../store-node/src/seed-store';
import { BENCH_ADMIN_TOKEN, startChainFixture, waitUntil } from './chain-fixture';
import { busyShare, MS_PER_TICK, machineCpuTicks, processCpuMs } from './cpu-usage';
import { runLoad } from './load-generator';
import type { BenchSection, Row } from './report';

const SKUS = Array.from({ length: 100 }, (_, i) => `R-${i}`);

const TRICKLE_RATE = 50;

function holdBodies(skus: readonly string[], run = 'bench'): string[] {
  return Array.from({ length: 1_000 }, (_, i) =>
    JSON.stringify({ sku: skus[i % skus.length], qty: 1, storeId: 'r1', ttlSeconds: 900, orderRef: `${run}-${i}` }),
  );
}

/**
 * DESIGN §9: online reservations through central (redlock + NATS request to the owning store, which
 * answers once the hold is durable), across 100 SKUs and on one hot SKU, next to a raw Redis lock.
 */
export const reservationsSection: BenchSection = {
  name: 'Online reservations through central',
  async run(ctx) {
    const chain = await startChainFixture({ natsUrl: ctx.natsUrl, databaseUrl: ctx.databaseUrl });
    try {
      const products = SKUS.map((sku) => ({ sku, name: sku, price: '9.90' }));
      await seedStore({ dataDir: chain.storeDir('r1'), storeId: 'r1', products, openingStock: () => 10_000_000 });
      const store = await chain.startStore('r1');
      // Central must have applied the opening stock before its projection lets a hold through.
      await waitUntil(async () => (await chain.appliedSeq(['r1'])) >= SKUS.length, 60_000, 50);
      const common = {
        url: `${chain.central.url}/reservations`,
        method: 'POST' as const,
        headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        connections: 32,
        durationSec: ctx.load.durationSec,
        warmupSec: ctx.load.warmupSec,
      };
      // Capacity: as fast as central answers 32 connections. Latency: at the target rate (1,000/s),
      // open loop, so the p99 is the service's and not the queue 32 closed-loop clients build.
      const lock = ctx.raw.redisLock;
      const noop = ctx.raw.noopFastify?.openLoop.find((o) => o.rate === 1_000);
      // Where a hold's CPU goes on two cores, read around each run (warm-up included, as are its holds).
      const heldSoFar = async () =>
        Number((await chain.db.query<{ n: string }>('select count(*) as n from reservations')).rows[0]?.n ?? 0);
      const withCpu = async (run: () => ReturnType<typeof runLoad>) => {
        const before = {
          held: await heldSoFar(),
          central: processCpuMs(chain.central.pid),
          store: processCpuMs(store.pid),
          machine: machineCpuTicks(),
        };
        const result = await run();
        const machine = machineCpuTicks();
        const held = Math.max(1, (await heldSoFar()) - before.held);
        const perHold = (ms: number) => (ms * 1000) / held;
        return {
          result,
          busy: busyShare(before.machine, machine) * 100,
          everything: perHold((machine.busy - before.machine.busy) * MS_PER_TICK),
          central: perHold(processCpuMs(chain.central.pid) - before.central),
          store: perHold(processCpuMs(store.pid) - before.store),
        };
      };
      // The path's own floor: holds spaced far apart, the machine mostly idle. If the p99 here is already
      // near the target, no amount of capacity brings the p99 at 1,000/s under it on this machine.
      ctx.progress(`holds at a trickle, ${TRICKLE_RATE}/s`);
      const trickleRun = await withCpu(() =>
        runLoad({ ...common, bodies: holdBodies(SKUS, 'trickle'), openLoopRate: TRICKLE_RATE }),
      );
      const trickle = trickleRun.result;
      const rows: Row[] = [
        {
          figure: `100 SKUs: p50 at a trickle, ${TRICKLE_RATE}/s open loop (machine ${Math.round(trickleRun.busy)} % busy, non-2xx ${trickle.non2xx})`,
          value: trickle.p50Ms,
          unit: 'ms',
        },
        {
          figure: `100 SKUs: p99 at a trickle, ${TRICKLE_RATE}/s (the path's floor here)`,
          value: trickle.p99Ms,
          unit: 'ms',
          ...(lock ? { rawLimit: lock.p99Ms, rawLimitLabel: 'Redis lock+unlock p99' } : {}),
        },
      ];
      for (const [label, skus] of [
        ['100 SKUs', SKUS],
        ['one hot SKU', [SKUS[0]!]],
      ] as const) {
        ctx.progress(`holds on ${label}: capacity`);
        const full = await withCpu(() => runLoad({ ...common, bodies: holdBodies(skus) }));
        const capacity = full.result;
        const halfRate = Math.max(1, Math.round(capacity.reqPerSec / 2));
        ctx.progress(`holds on ${label}: latency at half capacity, ${halfRate}/s`);
        const halfRun = await withCpu(() => runLoad({ ...common, bodies: holdBodies(skus), openLoopRate: halfRate }));
        const half = halfRun.result;
        ctx.progress(`holds on ${label}: latency at 1,000/s`);
        const pacedRun = await withCpu(() => runLoad({ ...common, bodies: holdBodies(skus), openLoopRate: 1_000 }));
        const paced = pacedRun.result;
        rows.push(
          {
            figure: `${label}: reservations/s, as fast as answered (32 connections, non-2xx ${capacity.non2xx}, errors ${capacity.errors})`,
            value: capacity.reqPerSec,
            unit: 'res/s',
            target: '≥ 1,000',
          },
          {
            figure: `${label}: p99 at a fixed 1,000/s, open loop (achieved ${Math.round(paced.reqPerSec)}/s, non-2xx ${paced.non2xx})`,
            value: paced.p99Ms,
            unit: 'ms',
            ...(lock ? { rawLimit: lock.p99Ms, rawLimitLabel: 'Redis lock+unlock p99' } : {}),
            target: '≤ 20 ms',
          },
          {
            figure: `${label}: p99 at a fixed 1,000/s, next to the load generator's own floor`,
            value: paced.p99Ms,
            unit: 'ms',
            ...(noop ? { rawLimit: noop.p99Ms, rawLimitLabel: 'no-op route, open loop at 1,000/s, p99' } : {}),
          },
          {
            figure: `${label}: p50 at a fixed 1,000/s`,
            value: paced.p50Ms,
            unit: 'ms',
            ...(lock ? { rawLimit: lock.p50Ms, rawLimitLabel: 'Redis lock+unlock p50' } : {}),
          },
          { figure: `${label}: p99 at full load (queueing of 32 connections)`, value: capacity.p99Ms, unit: 'ms' },
          { figure: `${label}: machine CPU busy at full load`, value: full.busy, unit: '%' },
          { figure: `${label}: CPU per reservation, whole machine`, value: full.everything, unit: 'µs' },
          { figure: `${label}: CPU per reservation, central`, value: full.central, unit: 'µs' },
          { figure: `${label}: CPU per reservation, store node`, value: full.store, unit: 'µs' },
          {
            figure: `${label}: CPU per reservation, the rest (PostgreSQL, Redis, NATS, load generator)`,
            value: full.everything - full.central - full.store,
            unit: 'µs',
          },
          // Evenly spaced arrivals batch less than 32 clients' bursts, so each hold pays more of its own
          // round trips and wake-ups: the CPU the latency rows above were measured at.
          { figure: `${label}: machine CPU busy at 1,000/s open loop`, value: pacedRun.busy, unit: '%' },
          { figure: `${label}: CPU per reservation at 1,000/s, whole machine`, value: pacedRun.everything, unit: 'µs' },
          { figure: `${label}: CPU per reservation at 1,000/s, central`, value: pacedRun.central, unit: 'µs' },
          {
            figure: `${label}: p50 at half the capacity, ${halfRate}/s open loop (non-2xx ${half.non2xx})`,
            value: half.p50Ms,
            unit: 'ms',
          },
          { figure: `${label}: machine CPU busy at half the capacity, ${halfRate}/s`, value: halfRun.busy, unit: '%' },
          {
            figure: `${label}: p99 at half the capacity, ${halfRate}/s`,
            value: half.p99Ms,
            unit: 'ms',
            ...(lock ? { rawLimit: lock.p99Ms, rawLimitLabel: 'Redis lock+unlock p99' } : {}),
          },
        );
      }
      return rows;
    } finally {
      await chain.dispose();
    }
  },
};
