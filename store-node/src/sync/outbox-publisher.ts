import { Worker } from 'node:worker_threads';
import type { FastifyBaseLogger } from 'fastify';
import type { ChainHead } from '../db/repositories/ledger-repository';
import type { OutboxRepository } from '../db/repositories/outbox-repository';
import type { WriteQueue } from '../db/write-queue';
import { type FromPublisher, PublisherCells, type PublisherWorkerData, type ToPublisher } from './publisher-protocol';

/** How often the acknowledged seq is looked at, and how long its write may wait for a sale's commit. */
const MARK_SENT_POLL_MS = 250;
const MARK_SENT_DELAY_MS = 250;
// Bundled (dist/), the thread's own bundle sits beside this one; run from source, a plain-JS entry
// registers tsx first, because a worker does not inherit the loader that started its process.
const WORKER = import.meta.url.endsWith('.ts')
  ? new URL('./publisher-worker-entry.mjs', import.meta.url)
  : new URL('./publisher-worker.js', import.meta.url);

/**
 * Drains the outbox to JetStream in seq order, from a worker thread (publisher-worker.ts) so POS
 * requests never share an event loop with it. Whatever has accumulated goes out as one pipelined
 * batch; the worker reports the last contiguous PubAck and this side marks rows sent up to it in
 * the group commit. Only durable events are published (the write queue reports them), so central
 * never sees an event a power cut could take back. The worker is restarted if it dies.
 */
export class OutboxPublisher {
  private worker: Worker | undefined;
  private stopping = false;
  private readonly cells = new PublisherCells();
  online = false;
  /** The publish cursor as last committed; the thread's acknowledged seq runs ahead of it. */
  private markedUpTo: number;
  private markQueued = false;
  private readonly markPoll: NodeJS.Timeout;

  constructor(
    private readonly deps: {
      file: string;
      storeId: string;
      natsUrl: string;
      natsPrefix: string;
      outbox: OutboxRepository;
      writes: WriteQueue<ChainHead>;
      log: FastifyBaseLogger;
      now: () => number;
      /** Last seq known to be on disk at start-up. */
      durableSeq: number;
      batchMax?: number;
    },
  ) {
    this.markedUpTo = deps.outbox.stats(deps.now()).lastPublishedSeq;
    this.cells.setAcked(this.markedUpTo, 0);
    deps.outbox.followAcknowledged(() => this.cells.acked);
    this.cells.setDurable(deps.durableSeq);
    deps.writes.onDurable((head) => this.cells.setDurable(head.seq));
    this.markPoll = setInterval(() => this.queueMarkSent(), MARK_SENT_POLL_MS).unref();
  }

  get lastPublishedAt(): string | null {
    const at = this.cells.ackedAtMs;
    return at > 0 ? new Date(at).toISOString() : null;
  }

  start(): void {
    const data: PublisherWorkerData = {
      file: this.deps.file,
      storeId: this.deps.storeId,
      natsUrl: this.deps.natsUrl,
      natsPrefix: this.deps.natsPrefix,
      batchMax: this.deps.batchMax ?? 1_000,
      cells: this.cells.buffer,
    };
    const worker = new Worker(WORKER, { workerData: data });
    this.worker = worker;
    worker.on('message', (message: FromPublisher) => this.receive(message));
    worker.on('error', (err) => this.deps.log.error({ err }, 'outbox publisher thread failed'));
    worker.on('exit', (code) => {
      this.online = false;
      if (this.worker === worker) this.worker = undefined;
      if (this.stopping) return;
      this.deps.log.warn({ code }, 'outbox publisher thread exited; restarting');
      setTimeout(() => this.stopping || this.start(), 1_000).unref();
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.markPoll);
    const worker = this.worker;
    if (worker) {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      this.send({ type: 'stop' });
      const timer = setTimeout(() => void worker.terminate(), 3_000);
      await exited;
      clearTimeout(timer);
    }
    // The write queue drains its riders when the database closes, after this.
    this.queueMarkSent();
  }

  private send(message: ToPublisher): void {
    this.worker?.postMessage(message);
  }

  /**
   * Rides along with the next group commit (within MARK_SENT_DELAY_MS); a crash before it lands only
   * republishes rows that JetStream (msgID) or central (event id) deduplicate.
   */
  private queueMarkSent(): void {
    if (this.markQueued || this.cells.acked <= this.markedUpTo) return;
    this.markQueued = true;
    this.deps.writes
      .submitAlong(() => {
        this.markQueued = false;
        const upTo = this.cells.acked;
        this.deps.outbox.markSentUpTo(upTo);
        return upTo;
      }, MARK_SENT_DELAY_MS)
      .then((upTo) => {
        this.markedUpTo = Math.max(this.markedUpTo, upTo);
      })
      .catch((err: unknown) => {
        this.markQueued = false;
        this.deps.log.warn({ err }, 'marking outbox rows sent failed; they will be resent');
      });
  }

  private receive(message: FromPublisher): void {
    switch (message.type) {
      case 'status':
        this.online = message.online;
        return;
      case 'log':
        this.deps.log[message.level](message.message);
        return;
      case 'stopped':
        void this.worker?.terminate();
        return;
    }
  }
}
