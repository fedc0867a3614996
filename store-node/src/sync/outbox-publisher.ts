import { Worker } from 'node:worker_threads';
import type { FastifyBaseLogger } from 'fastify';
import type { ChainHead } from '../db/repositories/ledger-repository';
import type { OutboxRepository } from '../db/repositories/outbox-repository';
import type { WriteQueue } from '../db/write-queue';
import type { FromPublisher, PublisherWorkerData, ToPublisher } from './publisher-protocol';

const WORKER = new URL('./publisher-worker-entry.mjs', import.meta.url);

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
  private durableSeq: number;
  online = false;
  lastPublishedAt: string | null = null;
  /** Highest acknowledged seq not yet written; one write-queue job carries whatever arrived meanwhile. */
  private ackedUpTo = 0;
  private markQueued = false;

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
    this.durableSeq = deps.durableSeq;
    deps.writes.onDurable((head) => {
      this.durableSeq = head.seq;
      this.send({ type: 'durable', seq: head.seq });
    });
  }

  start(): void {
    const data: PublisherWorkerData = {
      file: this.deps.file,
      storeId: this.deps.storeId,
      natsUrl: this.deps.natsUrl,
      natsPrefix: this.deps.natsPrefix,
      durableSeq: this.durableSeq,
      ackedSeq: this.deps.outbox.stats(this.deps.now()).lastPublishedSeq,
      batchMax: this.deps.batchMax ?? 1_000,
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
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    this.send({ type: 'stop' });
    const timer = setTimeout(() => void worker.terminate(), 3_000);
    await exited;
    clearTimeout(timer);
  }

  private send(message: ToPublisher): void {
    this.worker?.postMessage(message);
  }

  /**
   * Joins the next group commit; a crash before it lands only republishes rows that JetStream (msgID)
   * or central (event id) deduplicate.
   */
  private queueMarkSent(): void {
    if (this.markQueued) return;
    this.markQueued = true;
    this.deps.writes
      .submit(() => {
        this.markQueued = false;
        this.deps.outbox.markSentUpTo(this.ackedUpTo);
      })
      .catch((err: unknown) => {
        this.markQueued = false;
        this.deps.log.warn({ err }, 'marking outbox rows sent failed; they will be resent');
      });
  }

  private receive(message: FromPublisher): void {
    switch (message.type) {
      case 'acked':
        this.lastPublishedAt = new Date(message.at).toISOString();
        this.ackedUpTo = Math.max(this.ackedUpTo, message.upTo);
        this.queueMarkSent();
        return;
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
