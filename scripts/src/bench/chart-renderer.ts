/**
 * Turns the report's charts into SVG with Vega-Lite, headless: the 'none' renderer needs neither a browser
 * nor a native canvas (text widths are estimated).
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { BenchChart, ChartAxis, ChartSeries } from './report';

/** Charts of the same id joined in order of first appearance; series of the same name have their points joined. */
export function mergeCharts(charts: readonly BenchChart[]): BenchChart[] {
  const byId = new Map<string, BenchChart>();
  for (const chart of charts) {
    const merged = byId.get(chart.id) ?? { ...chart, series: [] };
    byId.set(chart.id, merged);
    for (const series of chart.series) {
      const existing = merged.series.find((s) => s.name === series.name);
      if (existing) existing.points = [...existing.points, ...series.points];
      else merged.series.push({ name: series.name, points: [...series.points] });
    }
  }
  return [...byId.values()];
}

const MAX_NINES = 4;
const NINES_TICKS = [Math.log10(2), 1, 2, 3, 4];

/** -log10(1 − p/100): 50 % → 0.3, 90 % → 1, 99 % → 2, 99.9 % → 3; the maximum is drawn at 99.99 %. */
export function percentileToNines(p: number): number {
  const nines = Math.min(MAX_NINES, -Math.log10(Math.max(1 - p / 100, 10 ** -MAX_NINES)));
  // 99.99 % gives 3.99999…: rounded, the last tick falls inside the domain and keeps its label.
  return Math.round(nines * 1e6) / 1e6;
}

function plotted(value: number, axis: ChartAxis): number | undefined {
  const v = axis.percentile ? percentileToNines(value) : value;
  if (!Number.isFinite(v)) return undefined;
  if (axis.scale === 'log' && v <= 0) return undefined;
  return v;
}

function axisEncoding(field: 'x' | 'y', axis: ChartAxis, maxValue: number) {
  // A log scale has no zero; a linear one starts at the data unless asked (latency from 0 squashes the curve).
  const scale = axis.scale === 'log' ? { type: 'log' as const } : { zero: axis.zero ?? false, nice: !axis.percentile };
  const ticks = axis.percentile
    ? {
        values: NINES_TICKS.filter((t) => t <= Math.ceil(maxValue)),
        labelExpr: "format(100 - 100 / pow(10, datum.value), '.4~') + '%'",
        labelFlush: true,
      }
    : axis.integer
      ? { tickMinStep: 1, format: 'd' }
      : {};
  return { field, type: 'quantitative' as const, title: axis.title, scale, axis: ticks };
}

export function chartSpec(chart: BenchChart): TopLevelSpec {
  const values: Array<{ series: string; x: number; y: number }> = [];
  for (const series of chart.series) {
    for (const point of series.points) {
      const x = plotted(point.x, chart.x);
      const y = plotted(point.y, chart.y);
      if (x !== undefined && y !== undefined) values.push({ series: series.name, x, y });
    }
  }
  const longest = Math.max(0, ...chart.series.map((s: ChartSeries) => s.points.length));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: chart.title,
    width: 560,
    height: 280,
    background: 'white',
    data: { values },
    // Markers help read a handful of points (scaling); on long curves they only blur the line.
    mark: { type: 'line', point: longest <= 30, strokeWidth: 1.5 },
    encoding: {
      x: axisEncoding('x', chart.x, Math.max(0, ...values.map((v) => v.x))),
      y: axisEncoding('y', chart.y, Math.max(0, ...values.map((v) => v.y))),
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: chart.series.map((s) => s.name) },
        legend: { orient: 'bottom', columns: 2, labelLimit: 400 },
      },
    },
  };
}

export async function renderChartSvg(chart: BenchChart): Promise<string> {
  const view = new View(parse(compile(chartSpec(chart)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
