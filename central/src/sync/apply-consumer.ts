import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { StockEvent } from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/database';
import {
  type ApplyBatchResult,
  type ApplyHook,
  applyBatch,
  type CursorCache,
  type PoisonMessage,
  type ResendNeed,
} from '../domain/apply-batch';
import { recomputeIntact } from '../domain/chain-walk';
import { type Decoded, decodeEventMessage } from './event-decoder';
import { ensureApplyConsumer, ensureEventsStream } from './event-stream';
import type { NatsLink } from './nats-link';
import type { StoreClocks } from './store-clocks';
import type { SyncMetrics } from './sync-metrics';

export type ApplyConsumerOptions = {
  /** Domain reactions to applied events, run inside the apply transaction (registered via app.applyHooks). */
  hooks: ApplyHook[];
  db: Database;
  nats: NatsLink;
  log: FastifyBaseLogger;
  metrics: SyncMetrics;
  batchMax: number;
  window: number;
  ackWaitMs: number;
  maxAckPending: number;
  nakDelayMs: number;
  onResend: (needs: ResendNeed[]) => void;
  /** The stores' clock offsets: commit → central latency is measured on central's clock. */
  clocks: StoreClocks;
};

/** `decoded` is filled ahead of time by the idle-time decoder, or at the latest by the flush. */
type Received = { msg: JsMsg; decoded?: Decoded };

/** Messages decoded per event-loop turn: short enough that a PostgreSQL reply never waits long. */
const DECODE_SLICE = 64;

/**
 * The relay from the durable JetStream consumer to PostgreSQL. Messages accumulate in memory while a
 * flush runs; the next flush takes everything that accumulated (≤ batchMax) and applies it in one
 * transaction, so the batch size follows the load: 1 event at a trickle, thousands under a burst.
 * Exactly one flush is in flight. Acks go out only after commit; a failed batch is nak-ed.
 */
export class ApplyConsumer {
  private pending: Received[] = [];
  /** pending[0 .. decodeIndex) are decoded. */
  private decodeIndex = 0;
  private decodeScheduled = false;
  /** Content-hash verdicts computed ahead of the flush (see scheduleDecode). */
  private readonly intact = new WeakMap<StockEvent, boolean>();
  private readonly isIntact = (event: StockEvent) => this.intact.get(event) ?? recomputeIntact(event);
  private readonly drainStores = new Set<string>();
  /** Stores whose cursor row exists: apply skips creating them (saves a round trip per batch). */
  private readonly knownStores = new Set<string>();
  /** Cursors as this replica last committed them: lets a steady batch apply in one statement. */
  private readonly cursorCache: CursorCache = new Map();
  private flushing: Promise<void> | null = null;
  private scheduled = false;
  private messages: ConsumerMessages | null = null;
  private supervisor: Promise<void> | null = null;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly subjectPrefix: string;

  constructor(private readonly opts: ApplyConsumerOptions) {
    this.subjectPrefix = opts.nats.names.eventsSubject('');
  }

  start(): void {
    this.supervisor ??= this.supervise();
  }

  /** Walk a store's buffered events again (its gap closed elsewhere, or the last walk hit its window). */
  requestDrain(storeId: string): void {
    if (this.stopped) return;
    this.drainStores.add(storeId);
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.messages?.close().catch(() => undefined);
    await this.supervisor;
    while (this.flushing) await this.flushing;
    // Hand unprocessed messages back at once instead of after ack_wait, e.g. to another replica.
    for (const { msg } of this.pending.splice(0)) msg.nak();
    this.decodeIndex = 0;
  }

  /** Keeps a consumer running: waits for NATS, recreates stream + consumer after they vanish or NATS restarts. */
  private async supervise(): Promise<void> {
    const { nats, log } = this.opts;
    let attempt = 0;
    while (!this.stopped) {
      try {
        const { js, jsm, names } = await nats.whenUp(this.abort.signal);
        await ensureEventsStream(jsm, names);
        await ensureApplyConsumer(jsm, names, this.opts);
        const consumer = await js.consumers.get(names.eventsStream, names.centralDurable);
        if (this.stopped) break;
        this.messages = await consumer.consume({
          max_messages: Math.min(this.opts.maxAckPending, this.opts.batchMax * 2),
          abort_on_missing_resource: true,
          callback: (msg) => this.receive(msg),
        });
        log.info({ stream: nats.names.eventsStream, durable: nats.names.centralDurable }, 'apply consumer running');
        attempt = 0;
        const ended = await this.messages.closed();
        this.messages = null;
        if (this.stopped) break;
        log.warn({ err: ended }, 'apply consumer ended; recreating');
      } catch (err) {
        if (this.stopped) break;
        log.warn({ err }, 'apply consumer setup failed; retrying');
      }
      await sleep(Math.min(5000, 200 * 2 ** attempt++), undefined, { signal: this.abort.signal }).catch(
        () => undefined,
      );
    }
  }

  private receive(msg: JsMsg): void {
    if (this.stopped) {
      msg.nak();
      return;
    }
    this.pending.push({ msg });
    this.scheduleDecode();
    this.schedule();
  }

  private schedule(): void {
    if (this.flushing || this.scheduled || this.stopped) return;
    this.scheduled = true;
    // setImmediate lets the rest of the current socket read land in the same batch.
    setImmediate(() => {
      this.scheduled = false;
      if (this.flushing) return;
      this.flushing = this.flushLoop().finally(() => {
        this.flushing = null;
        if (this.pending.length > 0 || this.drainStores.size > 0) this.schedule();
      });
    });
  }

  /**
   * Decodes and hashes waiting messages in small slices whenever the event loop is otherwise idle —
   * above all while PostgreSQL executes the batch in flight — so that work is off the critical path.
   * (Acks release the next messages right when a new transaction starts; decoding them all at once
   * there would stall its round trips.)
   */
  private scheduleDecode(): void {
    if (this.decodeScheduled || this.decodeIndex >= this.pending.length) return;
    this.decodeScheduled = true;
    setImmediate(() => {
      this.decodeScheduled = false;
      const end = Math.min(this.pending.length, this.decodeIndex + DECODE_SLICE);
      for (; this.decodeIndex < end; this.decodeIndex++) this.prepare(this.pending[this.decodeIndex] as Received);
      this.scheduleDecode();
    });
  }

  private prepare(received: Received): Decoded {
    if (received.decoded) return received.decoded;
    const decoded = decodeEventMessage(received.msg, this.subjectPrefix);
    if ('event' in decoded) this.intact.set(decoded.event, recomputeIntact(decoded.event));
    received.decoded = decoded;
    return decoded;
  }

  private async flushLoop(): Promise<void> {
    while (!this.stopped && (this.pending.length > 0 || this.drainStores.size > 0)) {
      const batch = this.pending.splice(0, this.opts.batchMax);
      this.decodeIndex = Math.max(0, this.decodeIndex - batch.length);
      const drain = [...this.drainStores];
      this.drainStores.clear();
      let ok = false;
      try {
        ok = await this.flush(batch, drain);
      } catch (err) {
        // Not a database failure (those are nak-ed in flush): e.g. acking on a closed connection.
        // Unacked messages come back after ack_wait; the loop must survive.
        this.opts.log.error({ err }, 'apply flush failed');
      }
      if (!ok) await sleep(this.opts.nakDelayMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
    }
  }

  private async flush(batch: Received[], drain: string[]): Promise<boolean> {
    const { db, metrics, log } = this.opts;
    const events: StockEvent[] = [];
    const poison: PoisonMessage[] = [];
    for (const received of batch) {
      const decoded = this.prepare(received);
      if ('event' in decoded) events.push(decoded.event);
      else poison.push(decoded.poison);
    }
    const started = performance.now();
    let result: ApplyBatchResult;
    try {
      result = await applyBatch(
        db,
        { events, poison, drainStores: drain, intact: this.isIntact },
        {
          window: this.opts.window,
          knownStores: this.knownStores,
          cursorCache: this.cursorCache,
          hooks: this.opts.hooks,
        },
      );
    } catch (err) {
      metrics.applyErrors.inc();
      log.error({ err, messages: batch.length }, 'apply batch failed; nak-ed for redelivery');
      for (const { msg } of batch) msg.nak(this.opts.nakDelayMs);
      return false;
    }
    // After commit: a lost ack only causes a redelivery, which the seq cursor turns into a no-op.
    // Poison is terminated without reason text: NATS < 2.10 ignores '+TERM <reason>'.
    for (const { msg, decoded } of batch) {
      if (decoded && 'poison' in decoded) msg.term();
      else msg.ack();
    }
    this.record(result, batch.length, (performance.now() - started) / 1000);
    for (const storeId of result.drain) this.drainStores.add(storeId);
    if (result.resend.length > 0) this.opts.onResend(result.resend);
    return true;
  }

  private record(result: ApplyBatchResult, size: number, seconds: number): void {
    const { metrics } = this.opts;
    if (size > 0) metrics.batchSize.observe(size);
    metrics.flushSeconds.observe(seconds);
    metrics.applied.inc(result.applied.length);
    metrics.duplicates.inc(result.duplicates);
    metrics.buffered.inc(result.buffered);
    const committed = result.committedAt.getTime();
    for (const event of result.applied) {
      const occurred = this.opts.clocks.toCentral(event.storeId, Date.parse(event.occurredAt));
      const seconds = Math.max(0, committed - occurred) / 1000;
      metrics.applyLatency.observe({ type: event.type }, seconds);
    }
    for (const found of result.breaks) {
      metrics.chainBreaks.inc({ reason: found.reason });
      this.opts.log.warn(found, 'chain break recorded');
    }
  }
}
