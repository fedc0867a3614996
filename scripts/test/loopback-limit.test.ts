import { describe, expect, it } from 'vitest';
import { measureLoopbackRoundTrip } from '../src/bench/raw-loopback-limit';

describe('raw limit: one request/response between two processes', () => {
  it('paces the round trips it is asked for and charges both processes CPU to each', async () => {
    const { runs } = await measureLoopbackRoundTrip({ rates: [50, 0], seconds: 1 });
    const [paced, backToBack] = runs;
    expect(paced?.rate).toBe(50);
    expect(paced?.achievedPerSec).toBeGreaterThan(25);
    expect(paced?.achievedPerSec).toBeLessThanOrEqual(51);
    // Back to back is bounded only by the round trip itself: far more than the paced rate.
    expect(backToBack?.achievedPerSec).toBeGreaterThan(1_000);
    for (const run of runs) {
      expect(Number.isFinite(run.cpuUsPerRoundTrip)).toBe(true);
      expect(run.cpuUsPerRoundTrip).toBeGreaterThan(0);
    }
  });
});
