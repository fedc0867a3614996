import { randomBytes } from 'node:crypto';
import { TestRedisServer } from '@stocksync/shared/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLockService, type LockService } from '../src/redis/lock-service';
import { REDIS_OPTIONS } from '../src/redis/redis-plugin';
import { Redlock } from '../src/redis/redlock';

const TUNING = { ttlMs: 10_000, waitMs: 5_000, retryDelayMs: 5, retryJitterMs: 4 };

/**
 * The lock service answers its caller as soon as the work is done and releases the lock after; the
 * queue keeps the next job on the key behind that release. Two "replicas" (two clients, two services)
 * on a private redis-server: a test pauses its writes, which must stall no other test.
 */
describe('lock service on a real Redis (private server)', () => {
  let server: TestRedisServer;
  const prefix = `lock-test-${randomBytes(4).toString('hex')}:`;
  const clients: Redis[] = [];
  let replicas: LockService[];

  beforeAll(async () => {
    server = await TestRedisServer.start();
    replicas = [];
    for (let i = 0; i < 2; i++) {
      const redis = new Redis(server.url, REDIS_OPTIONS);
      await redis.connect();
      clients.push(redis);
      const redlock = new Redlock([redis], { retryCount: 0, driftFactor: 0.01 });
      replicas.push(createLockService({ redis, redlock, keyPrefix: prefix, tuning: TUNING }));
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()));
    await server?.stop();
  });

  it('answers before its release round trip; settled() waits for the release, and the lock is gone', async () => {
    const [locks] = replicas as [LockService];
    const other = clients[1]!;
    const key = `${prefix}k1`;
    const answer = await locks.withLock('k1', async () => {
      // Holds up the release (a script that deletes: a write) for a moment; reads still go through.
      await other.call('CLIENT', 'PAUSE', '300', 'WRITE');
      return other.exists(key);
    });
    expect(answer).toBe(1); // held while the work ran
    expect(await other.exists(key)).toBe(1); // answered while the release waits
    await locks.settled();
    expect(await other.exists(key)).toBe(0);
  });

  it('a failing work is the caller error, and its lock is released all the same', async () => {
    const [locks] = replicas as [LockService];
    await expect(locks.withLock('k2', async () => Promise.reject(new Error('work failed')))).rejects.toThrow(
      'work failed',
    );
    // Not every work is an async function: one that throws before returning a promise releases too.
    const throwing = (): Promise<never> => {
      throw new Error('threw at once');
    };
    await expect(locks.withLock('k2b', throwing)).rejects.toThrow('threw at once');
    await locks.settled();
    expect(await clients[0]!.exists(`${prefix}k2`)).toBe(0);
    expect(await clients[0]!.exists(`${prefix}k2b`)).toBe(0);
  });

  it('never lets two holders of one key overlap, within a process or across replicas', async () => {
    let inside = 0;
    let most = 0;
    const work = async () => {
      inside++;
      most = Math.max(most, inside);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inside--;
      return true;
    };
    const outcomes = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => replicas[i % 2]!.withLock('k3', work)),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(60);
    expect(most).toBe(1);
    await Promise.all(replicas.map((r) => r.settled()));
    expect(await clients[0]!.exists(`${prefix}k3`)).toBe(0);
  });
});
