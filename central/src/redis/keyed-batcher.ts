import { forgetIdleKeys } from './keyed-queue';

export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

type Entry<I, R> = { item: I; resolve: (value: R) => void; reject: (error: unknown) => void };

type Queue<I, R> = { entries: Array<Entry<I, R>>; draining: boolean };

/**
 * Per key, one batch at a time: items submitted while a key's batch runs wait, and the next batch
 * takes everything that waited (up to `maxBatch`). Like group commit, batches grow with the load and
 * a lone item waits for nothing but the end of the current loop turn. Different keys run concurrently.
 * Idle keys are kept up to IDLE_KEYS_KEPT, as in KeyedQueue: dropping and re-adding each hot key on
 * every hold cost central ≈ 20 % of its CPU per hold across 100 SKUs in two bench pairs
 * (architecture.md).
 */
export class KeyedBatcher<I, R> {
  private readonly queues = new Map<string, Queue<I, R>>();
  private busyKeys = 0;

  constructor(
    private readonly runBatch: (key: string, items: I[]) => Promise<Array<Settled<R>>>,
    private readonly maxBatch: number,
  ) {}

  /** Keys with a batch running or waiting (for metrics and tests). */
  get size(): number {
    return this.busyKeys;
  }

  /** Keys in the map, idle ones included (for tests: at most IDLE_KEYS_KEPT idle). */
  get retainedKeys(): number {
    return this.queues.size;
  }

  submit(key: string, item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let queue = this.queues.get(key);
      if (!queue) {
        queue = { entries: [], draining: false };
        this.queues.set(key, queue);
      }
      queue.entries.push({ item, resolve, reject });
      if (queue.draining) return;
      queue.draining = true;
      this.busyKeys++;
      const started = queue;
      // Requests parsed in this loop turn join the first batch.
      setImmediate(() => void this.drain(key, started));
    });
  }

  private async drain(key: string, queue: Queue<I, R>): Promise<void> {
    for (;;) {
      if (queue.entries.length === 0) {
        queue.draining = false;
        this.busyKeys--;
        forgetIdleKeys(this.queues, this.busyKeys, (q) => !q.draining);
        return;
      }
      const batch = queue.entries.splice(0, this.maxBatch);
      try {
        const results = await this.runBatch(
          key,
          batch.map((e) => e.item),
        );
        batch.forEach((entry, i) => {
          const result = results[i];
          if (!result) entry.reject(new Error(`batch for ${key} returned no result for item ${i}`));
          else if (result.ok) entry.resolve(result.value);
          else entry.reject(result.error);
        });
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
  }
}
