import { DomainError, ErrorCode } from '@stocksync/shared';
import type { Redis } from 'ioredis';
import { KeyedQueue } from './keyed-queue';
import { ExecutionError, type Lock, type Redlock, ResourceLockedError } from './redlock';

export type LockTuning = {
  /** Lock lifetime: longer than the slowest critical section (a store request that times out). */
  ttlMs: number;
  /** Longest a caller waits for the lock, queueing in this process included. */
  waitMs: number;
  /** Pause between attempts on a held lock, ± jitter (DESIGN §9: redlock's 200 ms default collapsed throughput). */
  retryDelayMs: number;
  retryJitterMs: number;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const lockTimeout = (key: string) =>
  new DomainError(ErrorCode.DEPENDENCY_UNAVAILABLE, `Timed out waiting for lock ${key}; retry later`);

const redisDown = (detail: string) =>
  new DomainError(ErrorCode.DEPENDENCY_UNAVAILABLE, `Lock service (Redis) unavailable: ${detail}`);

/** Does a failed single attempt mean "someone else holds it" (retry) or "Redis failed" (give up)? */
async function heldByOther(error: unknown): Promise<boolean> {
  if (!(error instanceof ExecutionError)) return false;
  const stats = await Promise.all(error.attempts);
  return stats.every((s) => [...s.votesAgainst.values()].every((e) => e instanceof ResourceLockedError));
}

/**
 * Cross-replica mutual exclusion for one resource (e.g. a store's SKU), built for contention: a
 * per-process queue lets only one request per process contend for the Redis lock, so replicas take
 * turns instead of every request polling Redis. A Redis failure is never waited out or ignored: the
 * caller gets 503 DEPENDENCY_UNAVAILABLE and its work does not run.
 */
export function createLockService(deps: { redis: Redis; redlock: Redlock; keyPrefix: string; tuning: LockTuning }) {
  const { redis, redlock, keyPrefix, tuning } = deps;
  const queue = new KeyedQueue();

  async function acquire(key: string, deadline: number): Promise<Lock> {
    for (;;) {
      if (redis.status !== 'ready') throw redisDown(`connection ${redis.status}`);
      try {
        return await redlock.acquire([key], tuning.ttlMs);
      } catch (error) {
        if (!(await heldByOther(error))) throw redisDown((error as Error).message);
      }
      const pause = tuning.retryDelayMs + Math.round((Math.random() * 2 - 1) * tuning.retryJitterMs);
      if (Date.now() + pause > deadline) throw lockTimeout(key);
      await sleep(Math.max(0, pause));
    }
  }

  return {
    /** Pending keys in this process (for metrics and tests). */
    get queuedKeys(): number {
      return queue.size;
    },

    /** Resolves once every queued job has run and released its lock (before Redis closes). */
    settled(): Promise<void> {
      return queue.idle();
    },

    /** The error of a caller that started waiting at `since` and has waited too long, else undefined. */
    waitedTooLong(key: string, since: number): DomainError | undefined {
      return Date.now() > since + tuning.waitMs ? lockTimeout(key) : undefined;
    },

    /**
     * Runs `work` while holding the lock `<prefix><key>`; the lock's random value is its owner token.
     * `since` is when the caller started waiting (earlier than now when it queued elsewhere first).
     */
    withLock<T>(key: string, work: () => Promise<T>, since = Date.now()): Promise<T> {
      const deadline = since + tuning.waitMs;
      const fullKey = `${keyPrefix}${key}`;
      return new Promise<T>((resolve, reject) => {
        queue
          .run(fullKey, async () => {
            if (Date.now() > deadline) throw lockTimeout(key);
            const lock = await acquire(fullKey, deadline);
            // The caller is answered once its work is done, without waiting for the release's round
            // trip; the next job on this key in this process still waits for it (the queue), so it
            // never finds its own process's lock in its way.
            try {
              resolve(await work());
            } catch (error) {
              reject(error);
            } finally {
              // A failed release only leaves the key until its TTL; the store's version keeps data correct.
              await lock.release().catch(() => undefined);
            }
          })
          .catch(reject);
      });
    },
  };
}
export type LockService = ReturnType<typeof createLockService>;
