import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createSyncMetrics } from '../../central/src/sync/sync-metrics';
import { commitToCentralQuantiles, histogramBuckets, histogramQuantile } from '../src/bench/chain-fixture';

/** A real prom-client histogram rendered to the text central's /metrics serves. */
async function scrape(observe: (h: Histogram<'type'>) => void, buckets: number[]): Promise<string> {
  const registry = new Registry();
  const h = new Histogram({ name: 'lat_seconds', help: 'h', labelNames: ['type'], buckets, registers: [registry] });
  observe(h);
  return registry.metrics();
}

const ms = (n: number) => n / 1000;
const wholeMs = Array.from({ length: 25 }, (_, i) => ms(i + 1));

describe('histogram quantiles read by the benchmark', () => {
  it('are exact in whole-millisecond buckets when values are whole milliseconds', async () => {
    // 1..20 ms, each once: p50 = 10 ms, p90 = 18 ms.
    const text = await scrape((h) => {
      for (let v = 1; v <= 20; v++) h.observe({ type: 'a' }, ms(v));
      h.observe({ type: 'b' }, ms(1)); // another series, which must not count
    }, wholeMs);
    const after = histogramBuckets(text, 'lat_seconds', 'type="a"');
    expect(after.get(Number.POSITIVE_INFINITY)).toBe(20);
    expect(histogramQuantile(new Map(), after, 0.5, 0.001)).toBeCloseTo(ms(10), 9);
    expect(histogramQuantile(new Map(), after, 0.9, 0.001)).toBeCloseTo(ms(18), 9);
    expect(histogramQuantile(new Map(), after, 1, 0.001)).toBeCloseTo(ms(20), 9);
  });

  it('count only what was observed between the two scrapes', async () => {
    // Central's own metric: its buckets are what the benchmark reads.
    const registry = new Registry();
    const { applyLatency } = createSyncMetrics(registry);
    for (let i = 0; i < 1000; i++) applyLatency.observe({ type: 'stock.sold' }, ms(20));
    const before = await registry.metrics();
    for (let i = 0; i < 10; i++) applyLatency.observe({ type: 'stock.sold' }, ms(2));
    applyLatency.observe({ type: 'stock.received' }, ms(900));
    const after = await registry.metrics();
    expect(commitToCentralQuantiles(before, after).map((q) => q.ms)).toEqual([2, 2, 2, 2]);
  });

  it('interpolate inside a wide bucket like PromQL, and stop at the last finite bound', async () => {
    const text = await scrape(
      (h) => {
        for (let i = 0; i < 4; i++) h.observe({ type: 'a' }, 0.15); // all four in (0.1, 0.2]
        h.observe({ type: 'a' }, 10); // in +Inf
      },
      [0.1, 0.2],
    );
    const after = histogramBuckets(text, 'lat_seconds', 'type="a"');
    expect(histogramQuantile(new Map(), after, 0.4)).toBeCloseTo(0.15, 9); // rank 2 of 4 in (0.1, 0.2]
    expect(histogramQuantile(new Map(), after, 1)).toBe(0.2);
    expect(histogramQuantile(new Map(), new Map(), 0.5)).toBeNaN();
  });
});
