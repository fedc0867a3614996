import { fileURLToPath } from 'node:url';
import { mean, promotedPerScavenge } from '@stocksync/shared/testing';
import { describe, expect, it } from 'vitest';

const PROBE = fileURLToPath(new URL('./helpers/lock-promotion-probe.ts', import.meta.url));

/**
 * Central's reservation locks must not feed its major GCs: with ioredis's auto-pipelining on, every
 * scavenge promoted ≈ 1 MB of dead command objects in this probe (≈ 0.2 KB off), see REDIS_OPTIONS.
 */
describe('garbage the reservation locks leave', () => {
  it('stays young: scavenges during 21,000 lock/unlock pairs on real Redis promote almost nothing', async () => {
    const promoted = await promotedPerScavenge(PROBE);
    expect(promoted.length).toBeGreaterThanOrEqual(10);
    expect(mean(promoted)).toBeLessThan(50_000);
  }, 60_000);
});
