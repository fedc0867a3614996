import { fileURLToPath } from 'node:url';
import { leastPromotedMean } from '@stocksync/shared/testing';
import { describe, expect, it } from 'vitest';

const PROBE = fileURLToPath(new URL('./helpers/lock-promotion-probe.ts', import.meta.url));

/**
 * Central's reservation locks must not feed its major GCs: with ioredis's auto-pipelining on, every
 * scavenge promotes ≈ 945 KB of dead command objects in this probe, see REDIS_OPTIONS. The lock
 * service's per-key queue dropping and re-adding every hot key on every turn promoted ≈ 2–60 KB (a
 * bimodal figure from run to run), see KeyedQueue. Now ≈ 0.3 KB.
 */
describe('garbage the reservation locks leave', () => {
  it('stays young: scavenges during 21,000 lock/unlock pairs on real Redis promote almost nothing', async () => {
    expect(await leastPromotedMean(PROBE, { bound: 50_000 })).toBeLessThan(50_000);
  }, 180_000);
});
