/**
 * `npm run bench [-- filter…]`: runs every section in order, prints one table and, on a full run, writes
 * docs/benchmarks.md with its charts in docs/bench/. Add a section by appending it to SECTIONS; raw limits run
 * first so later sections can read them from ctx.raw.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildServices } from '../build';
import { catchUpSection } from './catch-up-section';
import { centralApplySection } from './central-apply-section';
import { runCleanups } from './cleanup-registry';
import { DEFAULT_LOAD } from './load-generator';
import { ProgressLine } from './progress-line';
import { rawLimitSections } from './raw-limit-sections';
import {
  type BenchChart,
  type BenchContext,
  type BenchSection,
  type LoadSettings,
  machineInfo,
  renderTable,
  type SectionOutcome,
} from './report';
import { writeReport } from './report-writer';
import { reservationsSection } from './reservations-section';
import { scalingSection } from './scaling-section';
import { storeSalesSection } from './store-sales-section';
import { syncLatencySection } from './sync-latency-section';

function positiveList(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (!raw) return fallback;
  const values = raw.split(',').map(Number);
  if (values.some((v) => !Number.isInteger(v) || v <= 0)) {
    console.error(`${name} must be a comma-separated list of positive integers, got "${raw}"`);
    process.exit(2);
  }
  return values;
}

const SECTIONS: BenchSection[] = [
  ...rawLimitSections,
  storeSalesSection,
  syncLatencySection(positiveNumber('BENCH_SYNC_STORES', 10), positiveNumber('BENCH_SYNC_RATE', 2_000), true),
  syncLatencySection(1, 200, false),
  ...positiveList('BENCH_SCALE_STORES', [1, 10, 50]).map(scalingSection),
  centralApplySection,
  ...positiveList('BENCH_CATCHUP_EVENTS', [10_000, 100_000, 1_000_000]).map(catchUpSection),
  reservationsSection,
];

const DOCS_DIR = fileURLToPath(new URL('../../../docs', import.meta.url));

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`${name} must be a positive number, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

function loadSettings(): LoadSettings {
  return {
    connections: positiveNumber('BENCH_CONNECTIONS', DEFAULT_LOAD.connections),
    pipelining: positiveNumber('BENCH_PIPELINING', DEFAULT_LOAD.pipelining),
    durationSec: positiveNumber('BENCH_DURATION_SEC', DEFAULT_LOAD.durationSec),
    warmupSec: positiveNumber('BENCH_WARMUP_SEC', DEFAULT_LOAD.warmupSec),
  };
}

function createContext(): BenchContext {
  return {
    natsUrl: process.env.NATS_URL || 'nats://127.0.0.1:4222',
    redisUrl: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    databaseUrl: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    load: loadSettings(),
    raw: {},
    progress: () => undefined,
    progressDetail: () => undefined,
    chart: () => undefined,
  };
}

/** Sections whose name contains any of the command-line words (case-insensitive); all when none are given. */
function selectSections(filters: string[]): BenchSection[] {
  if (filters.length === 0) return SECTIONS;
  const words = filters.map((f) => f.toLowerCase());
  return SECTIONS.filter((s) => words.some((w) => s.name.toLowerCase().includes(w)));
}

/** A section that hangs (a store that never converges, a stuck child) must not hold up the rest of the run. */
const SECTION_LIMIT_MS = positiveNumber('BENCH_SECTION_LIMIT_SEC', 900) * 1000;

async function runSection(
  section: BenchSection,
  base: BenchContext,
  label: string,
  progress: ProgressLine,
): Promise<SectionOutcome> {
  const charts: BenchChart[] = [];
  const ctx: BenchContext = {
    ...base,
    progress: (message) => progress.setPhase(message),
    progressDetail: (detail) => progress.setDetail(detail),
    chart: (chart) => charts.push(chart),
  };
  progress.begin(`${label} ${section.name}: `);
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no result within ${SECTION_LIMIT_MS / 1000} s`)), SECTION_LIMIT_MS);
    });
    const rows = await Promise.race([section.run(ctx), limit]);
    const elapsedMs = performance.now() - start;
    progress.end(`${label} ${section.name}: done in ${(elapsedMs / 1000).toFixed(1)} s`);
    return { name: section.name, rows, elapsedMs, charts };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    progress.end(`${label} ${section.name}: FAILED: ${error}`);
    return { name: section.name, rows: [], elapsedMs: performance.now() - start, error };
  } finally {
    clearTimeout(timer);
    // Whatever the section left running (it failed or timed out mid-way) stops before the next one starts.
    await runCleanups();
  }
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const sections = selectSections(filters);
  if (sections.length === 0) {
    console.error(`no section matches ${filters.join(' ')}; sections: ${SECTIONS.map((s) => s.name).join(', ')}`);
    return 2;
  }
  // The services run as production runs them: bundled (scripts/src/build.ts), built from this tree.
  await buildServices();
  const ctx = createContext();
  const progress = new ProgressLine();
  const runStart = performance.now();
  const outcomes: SectionOutcome[] = [];
  for (const [i, section] of sections.entries()) {
    outcomes.push(await runSection(section, ctx, `[${i + 1}/${sections.length}]`, progress));
  }
  process.stderr.write(`all sections in ${((performance.now() - runStart) / 1000).toFixed(0)} s\n`);
  console.log(`\n${renderTable(outcomes)}\n`);
  // A partial run leaves docs/ as it was; its report and charts go to a scratch folder to look at.
  const dir = filters.length === 0 ? DOCS_DIR : process.env.BENCH_REPORT_DIR || mkdtempSync(join(tmpdir(), 'bench-'));
  const written = await writeReport({
    dir,
    reportName: 'benchmarks.md',
    chartFolder: 'bench',
    outcomes,
    machine: machineInfo(),
    load: ctx.load,
  });
  console.log(`written to ${written.reportPath} with ${written.chartPaths.length} charts`);
  return outcomes.some((o) => o.error) ? 1 : 0;
}

// Ctrl-C or a kill: stop the store nodes, central and load generators this run started before leaving.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping child processes\n`);
    void runCleanups().finally(() => process.exit(130));
  });
}

// Exit explicitly: a client a failed section could not close must not keep the process alive.
main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    console.error(err);
    await runCleanups();
    process.exit(1);
  },
);
