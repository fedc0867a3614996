type Call<I, R> = { items: I[]; resolve: (results: R[]) => void; reject: (error: unknown) => void };

/**
 * Calls made during one turn of the event loop, grouped by key, become one `flush` per key (split
 * into chunks of at most `maxItems`): N concurrent callers cost one round trip instead of N, which
 * on this path is what the CPU goes to (a socket write per query or request). Each caller gets the
 * results of its own items, in order, or the flush's error.
 */
export class TurnBatcher<I, R> {
  private pending = new Map<string, Array<Call<I, R>>>();
  private scheduled = false;

  constructor(
    private readonly flush: (key: string, items: I[]) => Promise<R[]>,
    private readonly maxItems = Number.POSITIVE_INFINITY,
  ) {}

  run(key: string, items: I[]): Promise<R[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<R[]>((resolve, reject) => {
      const calls = this.pending.get(key);
      if (calls) calls.push({ items, resolve, reject });
      else this.pending.set(key, [{ items, resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        // After this turn's I/O callbacks: everything they started joins the same flush.
        setImmediate(() => this.flushAll());
      }
    });
  }

  private flushAll(): void {
    this.scheduled = false;
    const pending = this.pending;
    this.pending = new Map();
    for (const [key, calls] of pending) {
      let chunk: Array<Call<I, R>> = [];
      let size = 0;
      for (const call of calls) {
        if (chunk.length > 0 && size + call.items.length > this.maxItems) {
          void this.flushChunk(key, chunk);
          chunk = [];
          size = 0;
        }
        chunk.push(call);
        size += call.items.length;
      }
      void this.flushChunk(key, chunk);
    }
  }

  private async flushChunk(key: string, calls: Array<Call<I, R>>): Promise<void> {
    try {
      const results = await this.flush(
        key,
        calls.flatMap((c) => c.items),
      );
      const total = calls.reduce((n, c) => n + c.items.length, 0);
      if (results.length !== total) throw new Error(`${results.length} results for ${total} items`);
      let offset = 0;
      for (const call of calls) {
        call.resolve(results.slice(offset, offset + call.items.length));
        offset += call.items.length;
      }
    } catch (error) {
      for (const call of calls) call.reject(error);
    }
  }
}
