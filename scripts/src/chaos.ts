/**
 * `npm run chaos [-- --profile short|long --seed N --ops N --minutes N --stores N]`: the whole chain
 * under random traffic and faults, then every invariant of DESIGN §8 checked. Exit 1 on any violation.
 */
import { parseArgs } from 'node:util';
import { CHAOS_PROFILES, type ChaosProfile } from './chaos/chaos-profiles';
import { formatStatuses, formatSummary } from './chaos/chaos-report';
import { chaosPassed, runChaos } from './chaos/chaos-run';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'short' },
    seed: { type: 'string' },
    ops: { type: 'string' },
    minutes: { type: 'string' },
    stores: { type: 'string' },
  },
});

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`--${name} must be a positive integer, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

const profile = CHAOS_PROFILES[values.profile as ChaosProfile];
if (!profile) {
  console.error(`--profile must be one of ${Object.keys(CHAOS_PROFILES).join(', ')}`);
  process.exit(2);
}
const abort = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: stopping traffic and every process the run started`);
    abort.abort();
  });
}
const seed = positive('seed', values.seed, Date.now() % 1_000_000);
const summary = await runChaos({
  ...profile,
  seed,
  operations: positive('ops', values.ops, profile.operations),
  timeLimitMs: positive('minutes', values.minutes, profile.timeLimitMs / 60_000) * 60_000,
  stores: positive('stores', values.stores, profile.stores),
  log: (line) => console.error(`  ${new Date().toISOString().slice(11, 19)} ${line}`),
  signal: abort.signal,
}).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(abort.signal.aborted ? 130 : 1);
});
console.log(formatSummary(summary));
console.log(`  answers: ${formatStatuses(summary)}`);
process.exit(chaosPassed(summary) ? 0 : 1);
