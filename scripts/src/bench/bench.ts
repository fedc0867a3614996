/**
 * `npm run bench [-- filter…]`: runs every section in order, prints one table and, on a full run, writes
 * docs/benchmarks.md. Add a section by appending it to SECTIONS; raw limits run first so later sections can
 * read them from ctx.raw.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { catchUpSection } from './catch-up-section';
import { centralApplySection } from './central-apply-section';
import { DEFAULT_LOAD } from './load-generator';
import { rawLimitSections } from './raw-limit-sections';
import {
  type BenchContext,
  type BenchSection,
  type LoadSettings,
  machineInfo,
  renderMarkdown,
  renderTable,
  type SectionOutcome,
} from './report';
import { reservationsSection } from './reservations-section';
import { storeSalesSection } from './store-sales-section';
import { syncLatencySection } from './sync-latency-section';

const SECTIONS: BenchSection[] = [
  ...rawLimitSections,
  storeSalesSection,
  syncLatencySection,
  centralApplySection,
  catchUpSection(100_000),
  reservationsSection,
];

const REPORT_PATH = fileURLToPath(new URL('../../../docs/benchmarks.md', import.meta.url));

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
    progress: (message) => process.stderr.write(`  ${message}\n`),
  };
}

/** Sections whose name contains any of the command-line words (case-insensitive); all when none are given. */
function selectSections(filters: string[]): BenchSection[] {
  if (filters.length === 0) return SECTIONS;
  const words = filters.map((f) => f.toLowerCase());
  return SECTIONS.filter((s) => words.some((w) => s.name.toLowerCase().includes(w)));
}

async function runSection(section: BenchSection, ctx: BenchContext, label: string): Promise<SectionOutcome> {
  process.stderr.write(`${label} ${section.name} …\n`);
  const start = performance.now();
  try {
    const rows = await section.run(ctx);
    const elapsedMs = performance.now() - start;
    process.stderr.write(`${label} ${section.name}: done in ${(elapsedMs / 1000).toFixed(1)} s\n`);
    return { name: section.name, rows, elapsedMs };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${label} ${section.name}: FAILED: ${error}\n`);
    return { name: section.name, rows: [], elapsedMs: performance.now() - start, error };
  }
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const sections = selectSections(filters);
  if (sections.length === 0) {
    console.error(`no section matches ${filters.join(' ')}; sections: ${SECTIONS.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const ctx = createContext();
  const outcomes: SectionOutcome[] = [];
  for (const [i, section] of sections.entries()) {
    outcomes.push(await runSection(section, ctx, `[${i + 1}/${sections.length}]`));
  }
  console.log(`\n${renderTable(outcomes)}\n`);
  if (filters.length === 0) {
    writeFileSync(REPORT_PATH, renderMarkdown(outcomes, machineInfo(), ctx.load));
    console.log(`written to ${REPORT_PATH}`);
  } else {
    console.log('partial run: docs/benchmarks.md left as it was');
  }
  return outcomes.some((o) => o.error) ? 1 : 0;
}

// Exit explicitly: a client a failed section could not close must not keep the process alive.
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
