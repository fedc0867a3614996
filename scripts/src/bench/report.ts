import { cpus, release, totalmem, type } from 'node:os';
import type { NoopFastifyResult, SqliteResult } from './raw-limits';
import type { JetStreamLatencyResult, PgBatchedInsertResult, RedisLockResult } from './raw-service-limits';

/** One figure of the report; `rawLimit` is in the same unit as `value`, measured in the same run. */
export interface Row {
  figure: string;
  value: number;
  unit: string;
  rawLimit?: number;
  rawLimitLabel?: string;
  /** The DESIGN §9 target, as text (e.g. "≥ 5,000 sales/s"). */
  target?: string;
}

/** One line of a chart: points in the chart's x and y units. */
export interface ChartSeries {
  name: string;
  points: Array<{ x: number; y: number }>;
}

export interface ChartAxis {
  title: string;
  scale?: 'linear' | 'log';
  /** Plot x as a percentile: -log10(1 − p/100), so the tail (99 %, 99.9 %) gets as much room as the median. */
  percentile?: boolean;
  /** Start a linear axis at zero (throughput), instead of at the data's minimum (latency). */
  zero?: boolean;
  /** Whole numbers only on the ticks (seconds, store counts). */
  integer?: boolean;
}

/**
 * A chart of the report, written as docs/bench/<id>.svg. Sections that add to the same id (e.g. each catch-up
 * size) end up in one chart; series of the same name are joined.
 */
export interface BenchChart {
  id: string;
  title: string;
  x: ChartAxis;
  y: ChartAxis;
  series: ChartSeries[];
}

/** Raw limits measured so far in this run; raw-limit sections fill it, later sections read it. */
export interface RawLimits {
  noopFastify?: NoopFastifyResult;
  sqlite?: SqliteResult;
  jetstream?: JetStreamLatencyResult;
  pg?: PgBatchedInsertResult;
  redisLock?: RedisLockResult;
}

export interface LoadSettings {
  connections: number;
  pipelining: number;
  durationSec: number;
  warmupSec: number;
}

export interface BenchContext {
  natsUrl: string;
  redisUrl: string;
  databaseUrl: string;
  /** Load-generator settings shared by the no-op route and every HTTP figure compared with it. */
  load: LoadSettings;
  raw: RawLimits;
  /** Starts a new phase of the progress line on stderr, so stdout keeps only the report. */
  progress(message: string): void;
  /** Live figures of the current phase (e.g. "14 s / 30 s, 1,843 ev/s"), shown after it on the progress line. */
  progressDetail(detail: string): void;
  /** Adds a chart (or series to a chart of the same id) to the report. */
  chart(chart: BenchChart): void;
}

export interface BenchSection {
  name: string;
  run(ctx: BenchContext): Promise<Row[]>;
}

export interface SectionOutcome {
  name: string;
  rows: Row[];
  elapsedMs: number;
  error?: string;
  charts?: BenchChart[];
}

export interface MachineInfo {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
}

export function machineInfo(): MachineInfo {
  const cpuList = cpus();
  return {
    date: new Date().toISOString(),
    cpu: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
  };
}

/** Three significant digits below 100, whole numbers with thousands separators above. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return String(Number(value.toPrecision(3)));
}

function formatRow(row: Row): string[] {
  const value = `${formatNumber(row.value)} ${row.unit}`;
  const hasLimit = row.rawLimit !== undefined;
  const rawLimit = hasLimit
    ? `${formatNumber(row.rawLimit ?? 0)} ${row.unit}${row.rawLimitLabel ? ` (${row.rawLimitLabel})` : ''}`
    : '';
  const ratio = hasLimit && row.rawLimit ? `${formatNumber(row.value / row.rawLimit)}×` : '';
  return [row.figure, value, rawLimit, ratio, row.target ?? ''];
}

type Align = 'left' | 'right';

const COLUMNS: { title: string; align: Align }[] = [
  { title: 'figure', align: 'left' },
  { title: 'value', align: 'right' },
  { title: 'raw limit (same run)', align: 'left' },
  { title: 'ratio', align: 'right' },
  { title: 'target', align: 'left' },
];

/** A Markdown table padded the way Biome formats Markdown, so `npm run lint` accepts the written report. */
export function renderTable(outcomes: SectionOutcome[]): string {
  const body: string[][] = [];
  for (const outcome of outcomes) {
    body.push([`**${outcome.name}**`, '', '', '', '']);
    if (outcome.error) body.push([`failed: ${outcome.error}`, '', '', '', '']);
    for (const row of outcome.rows) body.push(formatRow(row));
  }
  const cells = [COLUMNS.map((c) => c.title), ...body].map((r) => r.map(escapeCell));
  const widths = COLUMNS.map((_, i) => Math.max(3, ...cells.map((r) => textWidth(r[i] ?? ''))));
  const line = (r: string[]) => `| ${r.map((cell, i) => pad(cell, widths[i] ?? 3, COLUMNS[i]?.align)).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (COLUMNS[i]?.align === 'right' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  const [header = [], ...rest] = cells;
  return [line(header), rule, ...rest.map(line)].join('\n');
}

function textWidth(text: string): number {
  return [...text].length;
}

function pad(text: string, width: number, align: Align = 'left'): string {
  const fill = ' '.repeat(Math.max(0, width - textWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** A chart written next to the report; `path` is relative to the report's folder. */
export interface ChartLink {
  title: string;
  path: string;
}

function renderChartLinks(charts: readonly ChartLink[]): string[] {
  if (charts.length === 0) return [];
  const lines = ['', '## Charts', ''];
  for (const chart of charts) lines.push(`### ${chart.title}`, '', `![${chart.title}](${chart.path})`, '');
  return lines.slice(0, -1);
}

export function renderMarkdown(
  outcomes: SectionOutcome[],
  machine: MachineInfo,
  load: LoadSettings,
  charts: readonly ChartLink[] = [],
): string {
  return [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (scripts/src/bench/bench.ts); do not edit by hand. Each figure sits next to',
    'the raw limit of the part underneath, measured in the same run on the same machine (DESIGN §9).',
    '',
    `- date: ${machine.date}`,
    `- machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}`,
    `- node: ${machine.node}`,
    `- HTTP load: autocannon in a second process, ${load.connections} connections, pipelining ${load.pipelining},` +
      ` ${load.durationSec} s after ${load.warmupSec} s warm-up, for capacity; figures "at" a rate are open loop` +
      " (scripts/src/bench/open-loop.ts: latency from each request's due time)",
    '',
    renderTable(outcomes),
    ...renderChartLinks(charts),
    '',
  ].join('\n');
}
