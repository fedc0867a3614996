import { describe, expect, it } from 'vitest';
import { KeyedQueue } from '../src/redis/keyed-queue';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedQueue', () => {
  it('runs jobs of one key one after another and different keys side by side, a failure not blocking the next', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const job =
      (name: string, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await tick();
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      };
    const a1 = queue.run('a', job('a1', true));
    const a2 = queue.run('a', job('a2'));
    const b1 = queue.run('b', job('b1'));
    expect(queue.size).toBe(2);
    await expect(a1).rejects.toThrow('a1');
    expect(await Promise.all([a2, b1])).toEqual(['a2', 'b1']);
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
    expect(log.indexOf('start b1')).toBeLessThan(log.indexOf('end a1'));
    await queue.idle();
    expect(queue.size).toBe(0);
  });

  it('keeps a hot key between its jobs and forgets idle keys only past 1,024 of them', async () => {
    const queue = new KeyedQueue();
    for (let turn = 0; turn < 3; turn++) {
      await Promise.all(Array.from({ length: 100 }, (_, k) => queue.run(`hot:${k}`, async () => k)));
      await queue.idle();
      expect(queue.retainedKeys).toBe(100); // not dropped and re-added every turn
    }
    await Promise.all(Array.from({ length: 2_000 }, (_, k) => queue.run(`once:${k}`, async () => k)));
    await queue.idle();
    expect(queue.size).toBe(0);
    expect(queue.retainedKeys).toBeLessThanOrEqual(1_025);
  });
});
