/** What the store's main thread and its outbox publisher thread share. */
export type PublisherWorkerData = {
  file: string;
  storeId: string;
  natsUrl: string;
  natsPrefix: string;
  batchMax: number;
  /** PublisherCells' buffer; it outlives a restarted thread. */
  cells: SharedArrayBuffer;
};

/**
 * Seqs both threads read and write with Atomics instead of messages: at a trickle of sales a message
 * per event wakes the other thread each time, and on a VM every wake-up costs more CPU than the sale.
 * The main thread stores `durable` and notifies; the thread waits on it. The thread stores `acked`;
 * the main thread reads it whenever it commits anyway.
 */
export class PublisherCells {
  static readonly DURABLE = 0;
  static readonly ACKED = 1;
  static readonly ACKED_AT_MS = 2;
  private readonly cells: BigInt64Array;
  private waiting: { seen: number; done: Promise<unknown> } | undefined;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(3 * 8)) {
    this.cells = new BigInt64Array(buffer);
  }

  get durable(): number {
    return Number(Atomics.load(this.cells, PublisherCells.DURABLE));
  }

  /** Last seq JetStream acknowledged (everything up to it is stored, in order). */
  get acked(): number {
    return Number(Atomics.load(this.cells, PublisherCells.ACKED));
  }

  get ackedAtMs(): number {
    return Number(Atomics.load(this.cells, PublisherCells.ACKED_AT_MS));
  }

  setDurable(seq: number): void {
    // A notify wakes waiters whatever the value: only a new seq is news.
    const value = BigInt(seq);
    if (Atomics.exchange(this.cells, PublisherCells.DURABLE, value) !== value) {
      Atomics.notify(this.cells, PublisherCells.DURABLE);
    }
  }

  setAcked(seq: number, atMs: number): void {
    Atomics.store(this.cells, PublisherCells.ACKED_AT_MS, BigInt(atMs));
    Atomics.store(this.cells, PublisherCells.ACKED, BigInt(seq));
  }

  /**
   * Resolves once `durable` is no longer `seen`; it does not keep a thread alive. Untimed on purpose,
   * and one wait per value: a timed Atomics.waitAsync leaves a delayed task behind that wakes the
   * thread when it expires even after a notify ended the wait, i.e. a useless wake-up per event.
   */
  durableChangedFrom(seen: number): Promise<unknown> {
    if (this.waiting?.seen === seen) return this.waiting.done;
    const wait = Atomics.waitAsync(this.cells, PublisherCells.DURABLE, BigInt(seen));
    if (!wait.async) return Promise.resolve(wait.value);
    // Forgotten once it ends, so a caller never gets a finished wait for a value that is still current.
    const waiting = {
      seen,
      done: wait.value.finally(() => {
        if (this.waiting === waiting) this.waiting = undefined;
      }),
    };
    this.waiting = waiting;
    return waiting.done;
  }
}

export type ToPublisher = { type: 'stop' };

export type FromPublisher =
  | { type: 'status'; online: boolean }
  | { type: 'log'; level: 'warn' | 'error'; message: string }
  | { type: 'stopped' };
