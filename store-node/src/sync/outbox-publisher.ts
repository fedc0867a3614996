import { type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { eventsStreamConfig, type NatsNames } from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { ChainHead } from '../db/repositories/ledger-repository';
import type { OutboxRepository } from '../db/repositories/outbox-repository';
import type { WriteQueue } from '../db/write-queue';
import type { NatsLink } from './nats-link';

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

/**
 * Drains the outbox to JetStream in seq order. Everything that has accumulated goes out as one
 * pipelined batch (one flush in flight); rows are marked sent only up to the last contiguous
 * PubAck, so a partial failure republishes the rest (deduplicated by msgID = event id, and by
 * central's ledger after the window). POS requests never wait for it.
 */
export class OutboxPublisher {
  private stopped = false;
  private wake: (() => void) | undefined;
  private streamReady = false;
  private running: Promise<void> | undefined;
  lastPublishedAt: string | null = null;
  private durableSeq: number;
  /** Highest seq JetStream acknowledged in this process; rows above it are what is left to send. */
  private ackedSeq = 0;

  constructor(
    private readonly deps: {
      link: NatsLink;
      outbox: OutboxRepository;
      writes: WriteQueue<ChainHead>;
      /** Last seq known to be on disk at start-up. */
      durableSeq: number;
      names: NatsNames;
      storeId: string;
      log: FastifyBaseLogger;
      now: () => number;
      batchMax?: number;
    },
  ) {
    this.durableSeq = deps.durableSeq;
    deps.writes.onDurable((head) => {
      this.durableSeq = head.seq;
      this.wake?.();
    });
  }

  /** Publish now rather than at the next idle tick. */
  notify(): void {
    this.wake?.();
  }

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async loop(): Promise<void> {
    let backoff = MIN_BACKOFF_MS;
    while (!this.stopped) {
      const nc = this.deps.link.connection;
      if (!nc) {
        await this.pause(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        continue;
      }
      try {
        const published = await this.publishBatch(nc);
        backoff = MIN_BACKOFF_MS;
        if (published === 0) await this.pause(1_000);
      } catch (err) {
        this.streamReady = false;
        this.deps.log.warn({ err: (err as Error).message, retryInMs: backoff }, 'outbox publish failed');
        await this.pause(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  private async ensureStream(nc: NatsConnection): Promise<void> {
    if (this.streamReady) return;
    const jsm = await jetstreamManager(nc);
    const config = eventsStreamConfig(this.deps.names);
    try {
      await jsm.streams.info(config.name);
    } catch {
      // Central normally creates it; a store that comes up first must not lose its events.
      await jsm.streams.add(config).catch(() => jsm.streams.info(config.name));
    }
    this.streamReady = true;
  }

  private async publishBatch(nc: NatsConnection): Promise<number> {
    await this.ensureStream(nc);
    const rows = this.deps.outbox.nextBatch(this.deps.batchMax ?? 1_000, this.ackedSeq, this.durableSeq);
    if (rows.length === 0) return 0;
    const js: JetStreamClient = jetstream(nc);
    const subject = this.deps.names.eventsSubject(this.deps.storeId);
    const acks = await Promise.allSettled(
      rows.map((row) => js.publish(subject, row.payload, { msgID: row.eventId, timeout: 5_000 })),
    );
    let upTo = 0;
    let failure: unknown;
    for (const [i, ack] of acks.entries()) {
      if (ack.status === 'rejected') {
        failure = ack.reason;
        break;
      }
      upTo = rows[i]!.seq;
    }
    if (upTo > 0) {
      const now = this.deps.now();
      this.ackedSeq = upTo;
      this.lastPublishedAt = new Date(now).toISOString();
      // Marking rows sent joins the next group commit; the next batch does not wait for its fsync
      // (a crash before it lands only republishes rows JetStream or central deduplicate).
      this.deps.writes
        .submit(() => this.deps.outbox.markSentUpTo(upTo, now))
        .catch((err: unknown) => this.deps.log.warn({ err }, 'marking outbox rows sent failed; they will be resent'));
    }
    if (failure) throw failure;
    return rows.length;
  }
}
