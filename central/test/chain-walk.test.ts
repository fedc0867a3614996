import { GENESIS_HASH, type StockEvent } from '@stocksync/shared';
import { describe, expect, it } from 'vitest';
import { collapseNewest } from '../src/domain/apply-batch';
import { recomputeIntact, walkStoreChain } from '../src/domain/chain-walk';
import { rng, StoreEventFactory } from './helpers/event-factory';

const chain = (n: number) => new StoreEventFactory('w1', rng(5)).generate(n, ['A', 'B']);
const at = (events: StockEvent[], seq: number) => events[seq - 1] as StockEvent;
const start = { lastSeq: 0, lastHash: GENESIS_HASH, buffered: [], window: 1000 };

describe('walkStoreChain', () => {
  it('applies a shuffled contiguous run from the cursor in seq order', () => {
    const events = chain(5);
    const walk = walkStoreChain({ ...start, incoming: [...events].reverse() });
    expect(walk.applied.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(walk).toMatchObject({
      lastSeq: 5,
      lastHash: at(events, 5).hash,
      toBuffer: [],
      blockedAt: null,
      nextAhead: null,
    });
  });

  it('treats seqs at or below the cursor as stale and keeps events after a gap for the buffer', () => {
    const events = chain(6);
    const walk = walkStoreChain({
      ...start,
      lastSeq: 2,
      lastHash: at(events, 2).hash,
      incoming: [at(events, 1), at(events, 3), at(events, 5), at(events, 6)],
    });
    expect(walk.stale.map((e) => e.seq)).toEqual([1]);
    expect(walk.applied.map((e) => e.seq)).toEqual([3]);
    expect(walk.toBuffer.map((e) => e.seq)).toEqual([5, 6]);
    expect(walk.nextAhead).toBe(5);
  });

  it('merges buffered events once the gap closes and drops the buffered rows it used', () => {
    const events = chain(6);
    const walk = walkStoreChain({
      ...start,
      lastSeq: 3,
      lastHash: at(events, 3).hash,
      incoming: [at(events, 4)],
      buffered: [at(events, 5), at(events, 6)],
    });
    expect(walk.applied.map((e) => e.seq)).toEqual([4, 5, 6]);
    expect(walk.dropBuffered.sort()).toEqual([5, 6]);
    expect(walk.toBuffer).toEqual([]);
  });

  it('blocks at a tampered event, but applies a genuine copy of the same seq from the same batch', () => {
    const events = chain(3);
    const tampered = { ...at(events, 2), delta: 99 };
    const blocked = walkStoreChain({ ...start, incoming: [at(events, 1), tampered, at(events, 3)] });
    expect(blocked).toMatchObject({ lastSeq: 1, blockedAt: 2 });
    expect(blocked.breaks.map((b) => [b.event.seq, b.reason])).toEqual([[2, 'hash-mismatch']]);
    expect(blocked.toBuffer.map((e) => e.seq)).toEqual([3]);

    const healed = walkStoreChain({ ...start, incoming: [at(events, 1), tampered, at(events, 2), at(events, 3)] });
    expect(healed).toMatchObject({ lastSeq: 3, blockedAt: null });
    expect(healed.breaks.map((b) => [b.event.seq, b.reason])).toEqual([[2, 'hash-mismatch']]);
  });

  it.each([
    ['verifyChain', undefined],
    ['a precomputed content verdict', recomputeIntact],
  ])('tells a broken link from altered content (%s)', (_how, intact) => {
    const events = chain(3);
    const relinked = { ...at(events, 2), prevHash: 'f'.repeat(64) };
    const altered = { ...at(events, 2), delta: 42 };
    for (const [bad, reason] of [
      [relinked, 'prev-hash-mismatch'],
      [altered, 'hash-mismatch'],
    ] as const) {
      const walk = walkStoreChain({ ...start, incoming: [at(events, 1), bad], intact });
      expect(walk.breaks.map((b) => b.reason)).toEqual([reason]);
      expect(walk).toMatchObject({ lastSeq: 1, blockedAt: 2 });
    }
  });

  it('stops at the window and says more may be drained', () => {
    const events = chain(10);
    const walk = walkStoreChain({ ...start, incoming: events, window: 4 });
    expect(walk).toMatchObject({ lastSeq: 4, windowFull: true });
    expect(walk.toBuffer.map((e) => e.seq)).toEqual([5, 6, 7, 8, 9, 10]);
  });

  it('counts identical in-batch copies as duplicates, not breaks', () => {
    const events = chain(2);
    const walk = walkStoreChain({ ...start, incoming: [...events, ...events] });
    expect(walk).toMatchObject({ lastSeq: 2, copies: 2, breaks: [] });
  });
});

describe('collapseNewest', () => {
  it('keeps only the newest version per (store, sku)', () => {
    const events = chain(20);
    const collapsed = collapseNewest([...events].reverse());
    expect(collapsed).toHaveLength(2);
    for (const row of collapsed) {
      const newest = events.filter((e) => e.sku === row.sku).at(-1);
      expect(row).toEqual({
        storeId: 'w1',
        sku: row.sku,
        onHand: newest?.onHand,
        reserved: newest?.reserved,
        version: newest?.version,
      });
    }
  });
});
