import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Runs a probe script (TypeScript, through tsx) under `--trace-gc-nvp` and returns the bytes each
 * scavenge of its busiest isolate promoted to the old generation after the probe printed MARK (its
 * warm-up done). Garbage that outlives scavenges is what feeds major GCs (architecture.md, "The store
 * node's heap").
 */
export async function promotedPerScavenge(probe: string): Promise<number[]> {
  // Single-threaded GC: with parallel scavenger threads starved of CPU (a full test run), scavenges
  // promote ≈ 700 KB each even when nothing outlives them; this way the figure is the code's alone.
  const flags = ['--trace-gc-nvp', '--single-threaded-gc', '--import', 'tsx', probe];
  const { stdout } = await run(process.execPath, flags, {
    maxBuffer: 64 * 1024 * 1024,
  });
  const mark = stdout.indexOf('MARK\n');
  if (mark < 0) throw new Error(`probe ${probe} never printed MARK`);
  const byIsolate = new Map<string, number[]>();
  for (const line of stdout.slice(mark).split('\n')) {
    const isolate = /^\[\d+:(0x[0-9a-f]+)\]/.exec(line)?.[1];
    const promoted = / gc=s .* promoted=(\d+)/.exec(line)?.[1];
    if (!isolate || promoted === undefined) continue;
    const seen = byIsolate.get(isolate) ?? [];
    seen.push(Number(promoted));
    byIsolate.set(isolate, seen);
  }
  return [...byIsolate.values()].sort((a, b) => b.length - a.length)[0] ?? [];
}

export const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

/**
 * The probe's mean promoted bytes per scavenge, run up to `runs` times until one comes in under
 * `bound`; the least of them. A regression promotes in every run; load from the rest of a test run
 * can make one run read high (likely the probe's helper threads, fsync and the publisher, starved of
 * CPU while in-flight objects outlive two scavenges): seen once in CI at ≈ 35 KB, and in two of eight
 * runs right after one at ≈ 330 KB, for a probe at ≈ 4 KB alone. `scavenges` is the fewest a run must
 * count to be taken.
 */
export async function leastPromotedMean(
  probe: string,
  opts: { bound: number; runs?: number; scavenges?: number },
): Promise<number> {
  let least = Number.POSITIVE_INFINITY;
  for (let run = 0; run < (opts.runs ?? 3) && least >= opts.bound; run++) {
    const promoted = await promotedPerScavenge(probe);
    if (promoted.length < (opts.scavenges ?? 10)) throw new Error(`${probe}: only ${promoted.length} scavenges`);
    least = Math.min(least, mean(promoted));
  }
  return least;
}
