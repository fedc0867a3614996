/** The report's shared charts, so every section that adds a series to one uses the same id, title and axes. */
import type { LoadResult, LoadTick } from './load-generator';
import type { BenchChart } from './report';

const MS_LOG = { title: 'latency (ms, log scale)', scale: 'log' } as const;
const PERCENTILE = { title: 'percentile', percentile: true } as const;

export function posLatencyChart(series: string, result: LoadResult): BenchChart {
  return {
    id: 'pos-latency',
    title: 'POS sale latency distribution (HTTP, as the load generator saw it)',
    x: PERCENTILE,
    y: MS_LOG,
    series: [{ name: series, points: result.latencyCurve.map(({ p, ms }) => ({ x: p, y: ms })) }],
  };
}

export function posThroughputChart(series: string, result: LoadResult): BenchChart {
  return {
    id: 'pos-throughput',
    title: 'POS throughput over time (sales answered 2xx per second)',
    x: { title: 'second of the measured run', integer: true },
    y: { title: 'sales/s', zero: true },
    series: [{ name: series, points: result.perSecond.map((n, i) => ({ x: i + 1, y: n })) }],
  };
}

/** From central's summary of the last minute, which keeps exact quantiles (p50, p90, p99, p99.9) only. */
export function commitToCentralChart(series: string, quantiles: Array<{ p: number; ms: number }>): BenchChart {
  return {
    id: 'commit-to-central-latency',
    title: 'Store commit → visible at central: latency distribution',
    x: PERCENTILE,
    y: MS_LOG,
    series: [{ name: series, points: quantiles.map(({ p, ms }) => ({ x: p, y: ms })) }],
  };
}

export function catchUpCurveChart(series: string, points: Array<{ x: number; y: number }>): BenchChart {
  return {
    id: 'catch-up-curve',
    title: 'Catch-up: events applied at central after the store comes back',
    x: { title: 's since the store process started (log scale)', scale: 'log' },
    y: { title: 'events applied at central (log scale)', scale: 'log' },
    series: [{ name: series, points }],
  };
}

export function catchUpScalingChart(events: number, seconds: number, rawSeconds?: number): BenchChart {
  const series = [{ name: 'time to converge at central', points: [{ x: events, y: seconds }] }];
  if (rawSeconds !== undefined)
    series.push({ name: 'raw: same rows as batched PG inserts', points: [{ x: events, y: rawSeconds }] });
  return {
    id: 'catch-up-scaling',
    title: 'Catch-up time vs queued events',
    x: { title: 'queued events (log scale)', scale: 'log' },
    y: { title: 's (log scale)', scale: 'log' },
    series,
  };
}

/** Live figures of a load run for the progress line. */
export function describeTick(tick: LoadTick, durationSec: number, unit: string): string {
  return `${tick.second} s / ${durationSec} s, ${tick.okPerSec.toLocaleString('en-US')} ${unit}`;
}
