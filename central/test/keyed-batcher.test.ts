import { describe, expect, it } from 'vitest';
import { KeyedBatcher, type Settled } from '../src/redis/keyed-batcher';

describe('KeyedBatcher', () => {
  it('runs one batch per key at a time; what queued meanwhile is the next batch, up to maxBatch', async () => {
    const batches: string[][] = [];
    let running = 0;
    let maxRunning = 0;
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const batcher = new KeyedBatcher<string, string>(async (key, items) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      batches.push(items.map((i) => `${key}:${i}`));
      if (key === 'k') await gate;
      running--;
      return items.map((i): Settled<string> => ({ ok: true, value: i.toUpperCase() }));
    }, 3);
    const first = ['a', 'b'].map((i) => batcher.submit('k', i));
    while (batches.length === 0) await new Promise((r) => setImmediate(r));
    const later = ['c', 'd', 'e', 'f'].map((i) => batcher.submit('k', i));
    const other = batcher.submit('j', 'x');
    expect(await other).toBe('X');
    open();
    expect(await Promise.all([...first, ...later])).toEqual(['A', 'B', 'C', 'D', 'E', 'F']);
    expect(batches.filter((b) => b[0]?.startsWith('k:'))).toEqual([['k:a', 'k:b'], ['k:c', 'k:d', 'k:e'], ['k:f']]);
    expect(maxRunning).toBe(2);
    expect(batcher.size).toBe(0);
  });

  it('settles each item on its own, and every item of a batch that throws', async () => {
    const batcher = new KeyedBatcher<number, number>(async (_key, items) => {
      if (items.includes(0)) throw new Error('boom');
      return items.map(
        (n): Settled<number> => (n > 0 ? { ok: true, value: n } : { ok: false, error: new Error('neg') }),
      );
    }, 10);
    const mixed = await Promise.allSettled([batcher.submit('k', 1), batcher.submit('k', -1)]);
    expect(mixed.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    const failed = await Promise.allSettled([batcher.submit('k', 0), batcher.submit('k', 2)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await batcher.submit('k', 3)).toBe(3);
  });

  it('keeps a hot key between its batches and forgets idle keys only past 1,024 of them', async () => {
    const batcher = new KeyedBatcher<number, number>(
      async (_key, items) => items.map((n): Settled<number> => ({ ok: true, value: n })),
      10,
    );
    for (let turn = 0; turn < 3; turn++) {
      await Promise.all(Array.from({ length: 100 }, (_, k) => batcher.submit(`hot:${k}`, k)));
      await new Promise((r) => setImmediate(r));
      expect(batcher.size).toBe(0);
      expect(batcher.retainedKeys).toBe(100); // not dropped and re-added every turn
    }
    await Promise.all(Array.from({ length: 2_000 }, (_, k) => batcher.submit(`once:${k}`, k)));
    await new Promise((r) => setImmediate(r));
    expect(batcher.retainedKeys).toBeLessThanOrEqual(1_025);
  });
});
