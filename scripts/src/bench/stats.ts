/** Latency summary in milliseconds; percentiles use the nearest-rank method on a sorted copy. */
export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

/** Nearest-rank percentile of an ascending array; `p` in [0, 100]. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  const index = Math.min(sorted.length - 1, Math.max(0, rank - 1));
  return sorted[index] ?? Number.NaN;
}

export function summarize(samplesMs: ArrayLike<number>): LatencySummary {
  // Float64Array sorts numerically without a comparator and far faster than Array#sort on 10^5+ samples.
  const sorted = Float64Array.from(samplesMs).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    meanMs: sorted.length ? sum / sorted.length : Number.NaN,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    p999Ms: percentile(sorted, 99.9),
    maxMs: sorted.length ? (sorted[sorted.length - 1] ?? Number.NaN) : Number.NaN,
  };
}

/** Growable sample buffer that avoids boxing every latency into a JS array slot. */
export class Samples {
  private buf: Float64Array;
  private n = 0;

  constructor(initialCapacity = 4096) {
    this.buf = new Float64Array(initialCapacity);
  }

  push(value: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = value;
  }

  get length(): number {
    return this.n;
  }

  values(): Float64Array {
    return this.buf.subarray(0, this.n);
  }

  summary(): LatencySummary {
    return summarize(this.values());
  }
}

/** Monotonic milliseconds with sub-microsecond resolution. */
export function nowMs(): number {
  return performance.now();
}

/** Runs `op` back to back until `durationMs` has passed; returns the completed count and elapsed time. */
export function runFor(durationMs: number, op: () => void): { count: number; elapsedMs: number } {
  const start = nowMs();
  const end = start + durationMs;
  let count = 0;
  let now = start;
  while (now < end) {
    op();
    count++;
    now = nowMs();
  }
  return { count, elapsedMs: now - start };
}

export async function runForAsync(
  durationMs: number,
  op: () => Promise<void>,
): Promise<{ count: number; elapsedMs: number }> {
  const start = nowMs();
  const end = start + durationMs;
  let count = 0;
  let now = start;
  while (now < end) {
    await op();
    count++;
    now = nowMs();
  }
  return { count, elapsedMs: now - start };
}

export function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : 0;
}
