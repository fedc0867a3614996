type Entry = { tail: Promise<unknown>; pending: number };

/** Idle keys kept before a sweep forgets them (a sweep then costs one pass over the map). */
const IDLE_KEYS_KEPT = 1_024;

/** Forgets every idle entry of `map` once more than IDLE_KEYS_KEPT have piled up beside the busy ones. */
export function forgetIdleKeys<V>(map: Map<string, V>, busyKeys: number, isIdle: (value: V) => boolean): void {
  if (map.size - busyKeys <= IDLE_KEYS_KEPT) return;
  for (const [key, value] of map) if (isIdle(value)) map.delete(key);
}

/**
 * Serializes async work per key inside one process: jobs with the same key run one after another,
 * different keys run concurrently. A key whose queue ran empty is forgotten only once more than
 * IDLE_KEYS_KEPT such keys have piled up, not at once: dropping and re-adding every hot key on every
 * turn of a busy process churned the map's tables, and central promoted ≈ 20–60 KB per scavenge for it
 * (central/test/lock-promotion.test.ts's probe; ≈ 0.3 KB with keys kept).
 */
export class KeyedQueue {
  private readonly entries = new Map<string, Entry>();
  private busyKeys = 0;

  /** Keys with a job queued or running. */
  get size(): number {
    return this.busyKeys;
  }

  /** Keys in the map, idle ones included (for tests: at most IDLE_KEYS_KEPT idle). */
  get retainedKeys(): number {
    return this.entries.size;
  }

  /** Resolves once every job queued so far has finished. */
  async idle(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.tail));
  }

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { tail: Promise.resolve(), pending: 0 };
      this.entries.set(key, entry);
    }
    if (entry.pending++ === 0) this.busyKeys++;
    const result = entry.tail.then(job, job);
    const done = entry;
    entry.tail = result.then(
      () => this.finished(done),
      () => this.finished(done),
    );
    return result;
  }

  private finished(entry: Entry): void {
    if (--entry.pending > 0) return;
    this.busyKeys--;
    forgetIdleKeys(this.entries, this.busyKeys, (e) => e.pending === 0);
  }
}
