/**
 * Serializes async work per key inside one process: jobs with the same key run one after another,
 * different keys run concurrently. Keys are forgotten once their queue is empty.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  get size(): number {
    return this.tails.size;
  }

  /** Resolves once every job queued so far has finished. */
  async idle(): Promise<void> {
    await Promise.all(this.tails.values());
  }

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(job, job);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
