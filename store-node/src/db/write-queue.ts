import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { diskFull, isDiskFull, isLockedByOther, lockedByOther } from './sqlite-refusals';

type Job = { run: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void };
type Committed<S> = { settle: () => void; fail: (error: unknown) => void; head: S };

export interface Snapshotting<S> {
  snapshot(): S;
  restore(state: S): void;
}

export type WriteQueueStats = { batchSize: number; commitMs: number };

export type WriteQueueOptions = {
  maxBatch: number;
  /**
   * Path of the database's WAL file when acknowledgements must wait for it to be on disk. The
   * connection then runs with synchronous=NORMAL and the queue fsyncs the WAL itself, off the event
   * loop, one fsync in flight covering every transaction committed since the last one.
   */
  walFile?: string | undefined;
  onFlush?: (stats: WriteQueueStats) => void;
  /** A WAL fsync returned after `ms` (its duration is the disk's share of every durable answer). */
  onSync?: (ms: number) => void;
  /** An fsync failed: the kernel may have dropped the pages, so the process must not go on. */
  onFatal?: (error: unknown) => void;
};

/**
 * Group commit. Writes submitted in the same turn of the event loop share one SQLite transaction,
 * yet each stays all-or-nothing on its own: it runs inside a SAVEPOINT that is rolled back if it
 * throws. In-memory state that jobs advance (the ledger's seq and hash) is snapshotted with each
 * savepoint so a rolled-back job leaves no gap. A job must be synchronous (better-sqlite3): it never
 * awaits, so nothing can interleave with it.
 *
 * Durability is pipelined: a batch's successful writes are answered only after the WAL holding their
 * commit is fsynced, but the event loop does not wait for the disk: while the fsync is in flight on
 * libuv's thread pool it goes on parsing and validating requests, and their writes commit as one
 * transaction the moment it returns.
 */
export class WriteQueue<S = unknown> {
  private pending: Job[] = [];
  /** Writes nobody waits on: they ride along with the next batch (see submitAlong). */
  private riders: Job[] = [];
  private riderTimer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private readonly durableListeners: Array<(head: S) => void> = [];
  private readonly storageListeners: Array<(full: boolean) => void> = [];
  private awaitingSync: Array<Committed<S>> = [];
  private syncInFlight = false;
  private syncWaiters: Array<() => void> = [];
  private walFd: number | undefined;
  private syncs = 0;
  private syncStartedAt = 0;
  /** Longest WAL fsync since `takeSlowestSyncMs` was last called (-1: none). */
  private slowestSyncMs = -1;
  private full = false;
  private readonly totalChanges;
  private readonly begin;
  private readonly commit;
  private readonly rollback;
  private readonly savepoint;
  private readonly release;
  private readonly rollbackTo;

  constructor(
    private readonly sqlite: Database.Database,
    private readonly state: Snapshotting<S>,
    private readonly opts: WriteQueueOptions,
  ) {
    this.totalChanges = sqlite.prepare('SELECT total_changes()').pluck();
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
      this.schedule();
    });
  }

  /**
   * Like submit, but the write joins the next batch that commits anyway and only commits on its own
   * when none comes within `maxDelayMs`. For bookkeeping nobody waits on (the outbox publish cursor):
   * at a trickle of sales it would otherwise cost a transaction and an fsync of its own for each one.
   */
  submitAlong<T>(run: () => T, maxDelayMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.riders.push({ run, resolve: resolve as (value: unknown) => void, reject });
      this.riderTimer ??= setTimeout(() => this.boardRiders(), maxDelayMs);
    });
  }

  /**
   * Called with the state head (e.g. the ledger's last seq) up to which everything is durable; the
   * outbox publisher never publishes past it, so central never sees an event a power cut could undo.
   */
  onDurable(listener: (head: S) => void): void {
    this.durableListeners.push(listener);
  }

  /** Called when writes start or stop failing for a full disk (see `storageFull`). */
  onStorageChange(listener: (full: boolean) => void): void {
    this.storageListeners.push(listener);
  }

  /** Runs and syncs whatever is queued (at shutdown, so nothing accepted is left behind). */
  async drain(): Promise<void> {
    this.boardRiders();
    while (this.pending.length > 0) this.flushOnce();
    // An fsync on the thread pool still holds the descriptor: let it finish before closing it.
    while (this.syncInFlight) await new Promise<void>((resolve) => this.syncWaiters.push(resolve));
    if (this.awaitingSync.length > 0 && this.opts.walFile) fdatasyncSync(this.wal());
    this.settle(this.awaitingSync.splice(0));
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
  }

  get depth(): number {
    return this.pending.length;
  }

  /** WAL fsyncs issued so far (a batch that changed no row needs none). */
  get fsyncs(): number {
    return this.syncs;
  }

  /**
   * The longest WAL fsync since the last call, counting one still in flight by its age (a hung disk
   * shows while it hangs), or null when none ran. The heartbeat carries it to HQ.
   */
  takeSlowestSyncMs(): number | null {
    const inFlightMs = this.syncInFlight ? performance.now() - this.syncStartedAt : -1;
    const slowest = Math.max(this.slowestSyncMs, inFlightMs);
    this.slowestSyncMs = -1;
    return slowest < 0 ? null : slowest;
  }

  /** The last write that needed disk space failed for want of it (cleared by the next write that commits). */
  get storageFull(): boolean {
    return this.full;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs after this loop turn's I/O callbacks: every request parsed now joins the batch.
    setImmediate(() => this.flush());
  }

  /** The riders waiting, now leaving with a batch: their timer is no longer needed. */
  private takeRiders(): Job[] {
    clearTimeout(this.riderTimer);
    this.riderTimer = undefined;
    return this.riders.splice(0);
  }

  /** Riders whose wait is over (or the queue is draining) become ordinary queued jobs. */
  private boardRiders(): void {
    const riders = this.takeRiders();
    if (riders.length === 0) return;
    this.pending.push(...riders);
    this.schedule();
  }

  private flush(): void {
    this.scheduled = false;
    // While an fsync is in flight, whatever arrives waits for it and then goes in as one transaction:
    // committing it turn by turn meanwhile would not answer it any sooner (its fsync cannot start
    // before this one ends), yet every small transaction writes the same hot pages to the WAL again.
    if (this.syncInFlight) return;
    this.flushOnce();
    if (this.pending.length > 0) this.schedule();
  }

  private flushOnce(): void {
    const batch = this.pending.splice(0, this.opts.maxBatch);
    if (batch.length === 0) return;
    if (this.riders.length > 0) batch.push(...this.takeRiders());
    const started = performance.now();
    const before = this.state.snapshot();
    const changesBefore = this.totalChanges.get();
    const succeeded: Array<{ job: Job; value: unknown }> = [];
    const failed: Array<{ job: Job; error: unknown }> = [];
    try {
      this.begin.run();
      for (const job of batch) {
        const mark = this.state.snapshot();
        this.savepoint.run();
        try {
          const value = job.run();
          this.release.run();
          succeeded.push({ job, value });
        } catch (error) {
          // SQLite rolls the whole transaction back on some errors (SQLITE_FULL, I/O): then the batch fails as one.
          if (!this.sqlite.inTransaction) throw error;
          this.rollbackTo.run();
          this.release.run();
          this.state.restore(mark);
          failed.push({ job, error: this.refusal(error) });
        }
      }
      this.commit.run();
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing of the batch is written.
      if (this.sqlite.inTransaction) this.rollback.run();
      this.state.restore(before);
      const refusal = this.refusal(error);
      for (const job of batch) job.reject(refusal);
      return;
    }
    this.opts.onFlush?.({ batchSize: batch.length, commitMs: performance.now() - started });
    // A refused write changed nothing, so its answer need not wait for the disk.
    for (const { job, error } of failed) job.reject(error);
    const committed: Committed<S> = {
      head: this.state.snapshot(),
      settle: () => {
        for (const { job, value } of succeeded) job.resolve(value);
      },
      fail: (error) => {
        for (const { job } of succeeded) job.reject(error);
      },
    };
    // A batch that changed no row (an idempotent replay, a sweep with nothing due) has nothing to make
    // durable; it still waits behind an fsync in flight, since what it read may be in that one.
    const nothingWritten = this.totalChanges.get() === changesBefore;
    if (!nothingWritten) this.setFull(false);
    if (!this.opts.walFile || (nothingWritten && !this.syncInFlight && this.awaitingSync.length === 0)) {
      this.settle([committed]);
      return;
    }
    this.awaitingSync.push(committed);
    this.syncWal();
  }

  private refusal(error: unknown): unknown {
    if (isLockedByOther(error)) return lockedByOther();
    if (!isDiskFull(error)) return error;
    this.setFull(true);
    return diskFull();
  }

  private setFull(full: boolean): void {
    if (this.full === full) return;
    this.full = full;
    for (const listener of this.storageListeners) listener(full);
  }

  private wal(): number {
    this.walFd ??= openSync(this.opts.walFile!, 'r');
    return this.walFd;
  }

  private syncWal(): void {
    if (this.syncInFlight || this.awaitingSync.length === 0) return;
    const group = this.awaitingSync.splice(0);
    this.syncInFlight = true;
    this.syncs++;
    this.syncStartedAt = performance.now();
    // fdatasync, as SQLite itself syncs its WAL on Linux: the data and the size that finds it, without
    // the mtime journal commit a full fsync adds (measured here: p50 1.2 → 0.8 ms under POS load).
    fdatasync(this.wal(), (error) => {
      this.syncInFlight = false;
      const ms = performance.now() - this.syncStartedAt;
      this.slowestSyncMs = Math.max(this.slowestSyncMs, ms);
      this.opts.onSync?.(ms);
      for (const waiter of this.syncWaiters.splice(0)) waiter();
      if (error) {
        for (const committed of group) committed.fail(error);
        this.opts.onFatal?.(error);
        return;
      }
      this.settle(group);
      if (this.pending.length > 0) this.flush();
      this.syncWal();
    });
  }

  private settle(group: Array<Committed<S>>): void {
    for (const committed of group) committed.settle();
    const last = group.at(-1);
    if (last) for (const listener of this.durableListeners) listener(last.head);
  }
}
