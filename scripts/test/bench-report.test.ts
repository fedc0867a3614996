import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchChart, SectionOutcome } from '../src/bench/report';
import { writeReport } from '../src/bench/report-writer';
import {
  catchUpCurveChart,
  catchUpScalingChart,
  commitToCentralChart,
  posLatencyChart,
} from '../src/bench/section-charts';

/** Elements open and close in order under one <svg> root: the file parses as XML. */
function expectWellFormedSvg(svg: string): void {
  expect(svg.startsWith('<svg')).toBe(true);
  const stack: string[] = [];
  for (const [, closing, name, , selfClosing] of svg.matchAll(/<(\/?)([A-Za-z][\w:.-]*)((?:"[^"]*"|[^>"])*?)(\/?)>/g)) {
    if (selfClosing) continue;
    if (closing) expect(stack.pop()).toBe(name);
    else stack.push(name ?? '');
    if (stack.length === 0) expect(closing && name).toBe('svg');
  }
  expect(stack).toEqual([]);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  expect(svg).not.toMatch(/NaN|undefined|Infinity/);
}

const load = { latencyCurve: [0, 50, 90, 99, 99.9, 100].map((p) => ({ p, ms: 1 + p / 10 })) };
const loadResult = {
  ...load,
  reqPerSec: 4000,
  p50Ms: 6,
  p99Ms: 10.9,
  p999Ms: 11,
  maxMs: 11,
  ok: 20_000,
  errors: 0,
  timeouts: 0,
  non2xx: 0,
  durationSec: 5,
  perSecond: [3900, 4100, 4000, 3950, 4050],
};
const throughput: BenchChart = {
  id: 'scaling-throughput',
  title: 'POS throughput vs store nodes',
  x: { title: 'store nodes', scale: 'log' },
  y: { title: 'sales/s' },
  series: [{ name: 'max sales/s', points: [{ x: 1, y: 4000 }] }],
};

const outcomes: SectionOutcome[] = [
  {
    name: 'Store node: POS sales',
    elapsedMs: 10,
    rows: [{ figure: 'sales/s | all', value: 4000, unit: 'sales/s', rawLimit: 35_000, rawLimitLabel: 'no-op' }],
    charts: [posLatencyChart('max throughput', loadResult), commitToCentralChart('10 stores', load.latencyCurve)],
  },
  // Two sections adding to the same charts: one chart each, series joined by name.
  {
    name: 'Catch-up 10k',
    elapsedMs: 10,
    rows: [{ figure: 'time to converge', value: 1.2, unit: 's' }],
    charts: [
      catchUpCurveChart('10,000 queued', [
        { x: 0, y: 0 },
        { x: 0.5, y: 4000 },
        { x: 1.2, y: 10_200 },
      ]),
      catchUpScalingChart(10_000, 1.2, 0.15),
      throughput,
    ],
  },
  {
    name: 'Catch-up 100k',
    elapsedMs: 10,
    rows: [],
    error: 'store did not converge',
    charts: [
      catchUpScalingChart(100_000, 11, 1.5),
      { ...throughput, series: [{ name: 'max sales/s', points: [{ x: 10, y: 3000 }] }] },
    ],
  },
];

describe('bench report rendering (real Vega-Lite, no browser)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one well-formed SVG per chart id and a markdown table that links each of them', async () => {
    mkdirSync(join(dir, 'bench'));
    writeFileSync(join(dir, 'bench', 'stale.svg'), '<svg/>');
    const written = await writeReport({
      dir,
      reportName: 'benchmarks.md',
      chartFolder: 'bench',
      outcomes,
      machine: { date: 'today', cpu: 'cpu', cores: 2, memoryGiB: 24, os: 'Linux', node: 'v20' },
      load: { connections: 50, pipelining: 1, durationSec: 5, warmupSec: 1 },
    });

    const ids = [
      'pos-latency',
      'commit-to-central-latency',
      'catch-up-curve',
      'catch-up-scaling',
      'scaling-throughput',
    ];
    expect(written.chartPaths.map((p) => p.slice(p.lastIndexOf('/') + 1))).toEqual(ids.map((id) => `${id}.svg`));
    for (const path of written.chartPaths) expectWellFormedSvg(readFileSync(path, 'utf8'));

    const latency = readFileSync(join(dir, 'bench', 'pos-latency.svg'), 'utf8');
    expect(latency).toContain('POS sale latency distribution');
    expect(latency).toContain('99.9%');
    const scaling = readFileSync(join(dir, 'bench', 'catch-up-scaling.svg'), 'utf8');
    expect(scaling).toContain('raw: same rows as batched PG inserts');
    // Both sections' points are on one line: a path through two points.
    expect(readFileSync(join(dir, 'bench', 'scaling-throughput.svg'), 'utf8')).toMatch(/d="M[\d.,-]+L[\d.,-]+"/);

    const md = readFileSync(written.reportPath, 'utf8');
    expect(md).toContain('| figure ');
    expect(md).toContain('| sales/s \\| all ');
    expect(md).toContain('failed: store did not converge');
    const links = [...md.matchAll(/!\[[^\]]+\]\(([^)]+)\)/g)].map((m) => m[1] ?? '');
    expect(links).toEqual(ids.map((id) => `bench/${id}.svg`));
    for (const link of links) expect(existsSync(join(dir, link))).toBe(true);
    expect(existsSync(join(dir, 'bench', 'stale.svg'))).toBe(false);
  });
});
