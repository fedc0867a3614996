export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

type Entry<I, R> = { item: I; resolve: (value: R) => void; reject: (error: unknown) => void };

/**
 * Per key, one batch at a time: items submitted while a key's batch runs wait, and the next batch
 * takes everything that waited (up to `maxBatch`). Like group commit, batches grow with the load and
 * a lone item waits for nothing but the end of the current loop turn. Different keys run concurrently.
 */
export class KeyedBatcher<I, R> {
  private readonly queues = new Map<string, Array<Entry<I, R>>>();

  constructor(
    private readonly runBatch: (key: string, items: I[]) => Promise<Array<Settled<R>>>,
    private readonly maxBatch: number,
  ) {}

  /** Keys with a batch running or waiting (for metrics and tests). */
  get size(): number {
    return this.queues.size;
  }

  submit(key: string, item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const queue = this.queues.get(key);
      if (queue) {
        queue.push({ item, resolve, reject });
        return;
      }
      this.queues.set(key, [{ item, resolve, reject }]);
      // Requests parsed in this loop turn join the first batch.
      setImmediate(() => void this.drain(key));
    });
  }

  private async drain(key: string): Promise<void> {
    for (;;) {
      const queue = this.queues.get(key) ?? [];
      if (queue.length === 0) {
        this.queues.delete(key);
        return;
      }
      const batch = queue.splice(0, this.maxBatch);
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
