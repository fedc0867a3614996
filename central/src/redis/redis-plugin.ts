import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Redis, type RedisOptions } from 'ioredis';
import { Redlock } from './redlock';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
    /** Single-instance redlock over `redis`; retries are driven by acquireLock (see lock-service.ts). */
    redlock: Redlock;
  }
}

/** How central's Redis client behaves (lock-promotion-probe.ts runs the same). */
export const REDIS_OPTIONS: RedisOptions = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2_000,
  // A hung Redis must not hang a reservation: the command fails and the caller answers 503.
  commandTimeout: 1_000,
  retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
  // Off: ioredis's auto-pipelines leave garbage that outlives scavenges (≈ 1.3 MB per scavenge in a
  // plain script; central's major GCs per reservations bench 6 → 2), and in two interleaved bench
  // pairs they were no faster: p99 at 1,000/s across 100 SKUs 52.3 / 49 ms on, 44.3 / 39.4 off.
  enableAutoPipelining: false,
};

/**
 * One Redis connection per process for locks. Central starts and serves reads with Redis down: the
 * client reconnects forever in the background, and while it is not ready commands fail at once
 * (no offline queue) so lock users answer 503 instead of waiting.
 */
export const redisPlugin = fp(
  async (app: FastifyInstance) => {
    const log = app.log.child({ component: 'redis' });
    const redis = new Redis(app.config.REDIS_URL, REDIS_OPTIONS);
    let lastError = '';
    redis.on('error', (err: Error) => {
      // One line per distinct failure, not one per reconnect attempt.
      if (err.message !== lastError) log.warn({ err: err.message }, 'redis error');
      lastError = err.message;
    });
    redis.on('ready', () => {
      lastError = '';
      log.info('redis ready');
    });
    // retryCount 0: acquireLock retries itself, so it can fail fast on a Redis error but wait on a held lock.
    const redlock = new Redlock([redis], { retryCount: 0, driftFactor: 0.01 });
    app.decorate('redis', redis);
    app.decorate('redlock', redlock);

    await Promise.race([
      redis.connect().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 2_000).unref()),
    ]);
    if (redis.status !== 'ready')
      log.warn({ status: redis.status }, 'redis not reachable yet; locks answer 503 until it is');

    app.addHook('onClose', async () => {
      await Promise.race([redis.quit(), new Promise((resolve) => setTimeout(resolve, 1_000))]).catch(() => undefined);
      redis.disconnect();
    });
  },
  { name: 'redis', fastify: '5.x', dependencies: ['config'] },
);
