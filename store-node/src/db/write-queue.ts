import type Database from 'better-sqlite3';

type Job = { run: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void };

export interface Snapshotting {
  snapshot(): unknown;
  restore(state: unknown): void;
}

export type WriteQueueStats = { batchSize: number; commitMs: number };

/**
 * Group commit. Writes submitted in the same turn of the event loop share one SQLite transaction
 * and one fsync, yet each stays all-or-nothing on its own: it runs inside a SAVEPOINT that is rolled
 * back if it throws. In-memory state that jobs advance (the ledger's seq and hash) is snapshotted
 * with each savepoint so a rolled-back job leaves no gap. A job must be synchronous (better-sqlite3):
 * it never awaits, so nothing can interleave with it.
 */
export class WriteQueue {
  private pending: Job[] = [];
  private readonly commitListeners: Array<() => void> = [];
  private scheduled = false;
  private readonly begin;
  private readonly commit;
  private readonly rollback;
  private readonly savepoint;
  private readonly release;
  private readonly rollbackTo;

  constructor(
    private readonly sqlite: Database.Database,
    private readonly state: Snapshotting,
    private readonly opts: { maxBatch: number; onFlush?: (stats: WriteQueueStats) => void },
  ) {
    this.begin = sqlite.prepare('BEGIN IMMEDIATE');
    this.commit = sqlite.prepare('COMMIT');
    this.rollback = sqlite.prepare('ROLLBACK');
    this.savepoint = sqlite.prepare('SAVEPOINT job');
    this.release = sqlite.prepare('RELEASE job');
    this.rollbackTo = sqlite.prepare('ROLLBACK TO job');
  }

  submit<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate runs after this loop turn's I/O callbacks: every request parsed now joins the batch.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Runs queued jobs now (used at shutdown so nothing accepted is left behind). */
  drain(): void {
    while (this.pending.length > 0) this.flushOnce();
  }

  /** Called after every successful commit (the outbox publisher wakes on it). */
  onCommit(listener: () => void): void {
    this.commitListeners.push(listener);
  }

  get depth(): number {
    return this.pending.length;
  }

  private flush(): void {
    this.scheduled = false;
    this.flushOnce();
    if (this.pending.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flushOnce(): void {
    const batch = this.pending.splice(0, this.opts.maxBatch);
    if (batch.length === 0) return;
    const started = performance.now();
    const before = this.state.snapshot();
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.begin.run();
      for (const job of batch) {
        const mark = this.state.snapshot();
        this.savepoint.run();
        try {
          const value = job.run();
          this.release.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          this.rollbackTo.run();
          this.release.run();
          this.state.restore(mark);
          outcomes.push({ ok: false, error });
        }
      }
      this.commit.run();
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing of the batch is durable.
      if (this.sqlite.inTransaction) this.rollback.run();
      this.state.restore(before);
      for (const job of batch) job.reject(error);
      return;
    }
    this.opts.onFlush?.({ batchSize: batch.length, commitMs: performance.now() - started });
    for (const listener of this.commitListeners) listener();
    batch.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }
}
