import { describe, expect, it } from 'vitest';
import { TurnBatcher } from '../src/infra/turn-batcher';

describe('TurnBatcher', () => {
  it('turns the calls of one turn into one flush per key, chunked, each caller getting its own results', async () => {
    const flushes: string[][] = [];
    const batcher = new TurnBatcher<string, string>(async (key, items) => {
      flushes.push(items.map((i) => `${key}:${i}`));
      return items.map((i) => i.toUpperCase());
    }, 3);
    const results = await Promise.all([
      batcher.run('s1', ['a', 'b']),
      batcher.run('s2', ['x']),
      batcher.run('s1', ['c']),
      batcher.run('s1', ['d']),
    ]);
    expect(results).toEqual([['A', 'B'], ['X'], ['C'], ['D']]);
    expect(flushes).toEqual([['s1:a', 's1:b', 's1:c'], ['s1:d'], ['s2:x']]);
    expect(await batcher.run('s1', ['e'])).toEqual(['E']);
    expect(flushes).toHaveLength(4);
  });

  it('rejects every caller of a failed flush, and of one that answers the wrong number of items', async () => {
    const failing = new TurnBatcher<number, number>(async () => {
      throw new Error('down');
    });
    const failed = await Promise.allSettled([failing.run('k', [1]), failing.run('k', [2])]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const short = new TurnBatcher<number, number>(async (_key, items) => items.slice(1));
    await expect(short.run('k', [1, 2])).rejects.toThrow('1 results for 2 items');
  });
});
