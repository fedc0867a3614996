import { fileURLToPath } from 'node:url';
import { leastPromotedMean } from '@stocksync/shared/testing';
import { describe, expect, it } from 'vitest';

const PROBE = fileURLToPath(new URL('./helpers/lock-promotion-probe.ts', import.meta.url));

/**
 * Central's reservation locks must not feed its major GCs: with ioredis's auto-pipelining on, every
 * scavenge promotes ≈ 945 KB of dead command objects in this probe, see REDIS_OPTIONS. Off, the mean
 * is bimodal from run to run (≈ 2–20 KB, or ≈ 50–70 KB for long stretches of a run; the survivors of
 * the high mode are not identified, architecture.md "The store node's heap"), so the bound sits between
 * those and the regression: ≈ 3× above the high mode, ≈ 5× below the regression.
 */
describe('garbage the reservation locks leave', () => {
  it('stays young: scavenges during 21,000 lock/unlock pairs on real Redis promote almost nothing', async () => {
    expect(await leastPromotedMean(PROBE, { bound: 200_000 })).toBeLessThan(200_000);
  }, 180_000);
});
