import { describe, expect, it } from 'vitest';
import { PublisherCells } from '../src/sync/publisher-protocol';

/** Whether `promise` has settled by the end of a few loop turns. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('seqs shared with the publisher thread', () => {
  it('a wait ends when the durable seq moves, and not when the same seq is stored again', async () => {
    const cells = new PublisherCells();
    cells.setDurable(5);
    const wait = cells.durableChangedFrom(5);
    cells.setDurable(5);
    expect(await settled(wait)).toBe(false);
    cells.setDurable(6);
    expect(await settled(wait)).toBe(true);
    expect(cells.durable).toBe(6);
  });

  it('a wait that ended (even spuriously) is never handed out again for a seq still current', async () => {
    const cells = new PublisherCells();
    cells.setDurable(7);
    const first = cells.durableChangedFrom(7);
    // Another thread's notify on the cell, with no new value: the waiter wakes anyway.
    Atomics.notify(new BigInt64Array(cells.buffer), PublisherCells.DURABLE);
    expect(await settled(first)).toBe(true);
    // The publisher loops back to wait on 7: it must block, not get the finished wait (a spin).
    const again = cells.durableChangedFrom(7);
    expect(await settled(again)).toBe(false);
    cells.setDurable(8);
    expect(await settled(again)).toBe(true);
  });

  it('acknowledged seq and time are read back as stored', () => {
    const cells = new PublisherCells();
    cells.setAcked(41, 1_700_000_000_123);
    expect(cells.acked).toBe(41);
    expect(cells.ackedAtMs).toBe(1_700_000_000_123);
  });
});
