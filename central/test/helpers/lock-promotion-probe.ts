/**
 * Run by lock-promotion.test.ts through promotedPerScavenge (shared/testing/gc-trace.ts, which sets the
 * GC flags): takes and releases (store, SKU) locks on the real Redis through central's own client
 * options and lock service, as the reservations bench does, and prints MARK once warmed up.
 */
import { Redis } from 'ioredis';
import { createLockService } from '../../src/redis/lock-service';
import { REDIS_OPTIONS } from '../../src/redis/redis-plugin';
import { Redlock } from '../../src/redis/redlock';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', REDIS_OPTIONS);
await redis.connect();
const redlock = new Redlock([redis], { retryCount: 0, driftFactor: 0.01 });
const locks = createLockService({
  redis,
  redlock,
  keyPrefix: `promotion-probe-${process.pid}:`,
  tuning: { ttlMs: 5_000, waitMs: 2_000, retryDelayMs: 5, retryJitterMs: 4 },
});

const WARM_UP = 3_000;
const HOLDS = 24_000;
let marked = false;
for (let held = 0; held < HOLDS; ) {
  if (!marked && held >= WARM_UP) {
    marked = true;
    console.log('MARK');
  }
  // Locks on 100 keys at a time, each with a little work inside, as holds across 100 SKUs.
  const turn = Array.from({ length: 100 }, (_, k) =>
    locks.withLock(`probe:${k}`, async () => Array.from({ length: 50 }, (_, i) => ({ i, k }))),
  );
  held += turn.length;
  await Promise.all(turn);
}
// The last turn's releases go out after its answers: let them finish before the connection closes.
await locks.settled();
await redis.quit();
