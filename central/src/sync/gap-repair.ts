import { compileValidator, ResendReplySchema, type ResendRequest } from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/database';
import { createEventBufferRepository } from '../db/event-buffer-repository';
import { createStoresRepository } from '../db/stores-repository';
import type { NatsLink } from './nats-link';
import type { SyncMetrics } from './sync-metrics';

export type GapRepairOptions = {
  db: Database;
  nats: NatsLink;
  log: FastifyBaseLogger;
  metrics: SyncMetrics;
  /** At most one resend request per store per interval (and never two outstanding). */
  minIntervalMs: number;
  /** Slower retry for a store whose chain is blocked by a bad event: it may resend the same one. */
  brokenIntervalMs: number;
  sweepIntervalMs: number;
  /** Wait before asking: with several replicas a "gap" is often another replica's uncommitted batch. */
  graceMs: number;
  requestTimeoutMs: number;
  onDrain: (storeId: string) => void;
};

const replyValidator = compileValidator(ResendReplySchema);
/** Most events one resend request asks for (the store publishes them 1,000 at a time); the next sweep asks on. */
export const RESEND_MAX_EVENTS = 100_000;

/**
 * Gap repair (DESIGN §6b): finds stores whose buffered events wait behind a missing seq, or whose chain
 * is blocked, and asks the store over NATS request/reply to publish that range again. A store that does
 * not answer is simply asked again later; buffered events that became contiguous are handed to apply.
 */
export class GapRepair {
  private readonly lastRequest = new Map<string, number>();
  private readonly outstanding = new Set<string>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly opts: GapRepairOptions) {}

  start(): void {
    this.sweepTimer ??= setInterval(() => void this.sweep(), this.opts.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.graceTimer) clearTimeout(this.graceTimer);
  }

  /** An apply batch saw a gap or a blocked chain: check again shortly. */
  notify(): void {
    if (this.stopped || this.graceTimer) return;
    this.graceTimer = setTimeout(() => {
      this.graceTimer = null;
      void this.sweep();
    }, this.opts.graceMs);
    this.graceTimer.unref();
  }

  /** One pass over the current state in the database (safe to call any time; passes never overlap). */
  sweep(): Promise<void> {
    this.sweeping ??= this.runSweep().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  private async runSweep(): Promise<void> {
    if (this.stopped) return;
    const { db, log } = this.opts;
    try {
      for (const store of await createEventBufferRepository(db).gapCandidates()) {
        const { storeId, lastSeq, minBufferedSeq, lastMissingSeq } = store;
        const broken = store.chainStatus === 'broken';
        // Contiguous buffered events (or a stale counter, which a drain recounts): apply them now.
        if (minBufferedSeq === lastSeq + 1 || (minBufferedSeq === null && store.bufferedEvents > 0)) {
          this.opts.onDrain(storeId);
        }
        // A gap before the buffered events: ask in one request for every hole, up to the last run of
        // buffered events (the buffered ones between holes come again too). The buffer may be sparse
        // (publishes cut off halfway, a partial resend): asking only up to the first buffered seq took
        // one round trip per hole, a sweep (2 s) apart.
        if (minBufferedSeq !== null && lastMissingSeq !== null && minBufferedSeq > lastSeq + 1) {
          const toSeq = Math.min(lastMissingSeq, lastSeq + RESEND_MAX_EVENTS);
          // The log says how the buffer looked: a range much wider than its holes means a sparse one.
          const context = { buffered: store.bufferedEvents, firstBuffered: minBufferedSeq };
          this.request(storeId, { fromSeq: lastSeq + 1, toSeq }, broken, context);
        }
        // Blocked by a bad event with nothing buffered behind it: ask for everything from there.
        else if (broken) this.request(storeId, { fromSeq: lastSeq + 1 }, true);
      }
      await this.askForLostEvents();
    } catch (err) {
      log.warn({ err }, 'gap repair sweep failed');
    }
  }

  /**
   * Events JetStream acknowledged to a store and then lost (nats-server back without its storage):
   * no later event shows a gap, so ask for them when a store's heartbeat claims more than central
   * applied while the apply consumer has nothing left to deliver. The consumer is read before the
   * stores: everything it had delivered by then is committed, so a cursor still short of the claim
   * is not an apply in progress.
   */
  private async askForLostEvents(): Promise<void> {
    const repo = createEventBufferRepository(this.opts.db);
    const clients = this.opts.nats.clients;
    if (!clients || (await repo.behindTheirStream()).length === 0) return;
    const { eventsStream, centralDurable } = clients.names;
    const consumer = await clients.jsm.consumers.info(eventsStream, centralDurable);
    if (consumer.num_pending > 0 || consumer.num_ack_pending > 0) return;
    for (const { storeId, lastSeq, acked } of await repo.behindTheirStream()) {
      this.request(storeId, { fromSeq: lastSeq + 1, toSeq: acked }, false);
    }
  }

  private request(storeId: string, body: ResendRequest, broken: boolean, context: object = {}): void {
    const now = Date.now();
    const interval = broken ? this.opts.brokenIntervalMs : this.opts.minIntervalMs;
    // NATS down: nobody to ask; the first sweep after it is back asks.
    const nc = this.opts.nats.clients?.nc;
    if (this.stopped || !nc || this.outstanding.has(storeId)) return;
    if (now - (this.lastRequest.get(storeId) ?? 0) < interval) return;
    this.lastRequest.set(storeId, now);
    this.outstanding.add(storeId);
    this.opts.metrics.gapRequests.inc();
    const { nats, log, db } = this.opts;
    log.info({ storeId, ...body, ...context }, 'requesting resend');
    nc.request(nats.names.resendSubject(storeId), JSON.stringify(body), { timeout: this.opts.requestTimeoutMs })
      .then(async (reply) => {
        const parsed: unknown = reply.json();
        if (replyValidator.check(parsed)) log.info({ storeId, ...parsed }, 'store resent events');
        await createStoresRepository(db).touchContact(storeId, new Date());
      })
      // No responders / timeout: the store is offline; the next sweep asks again.
      .catch((err: Error) => log.debug({ storeId, err: err.message }, 'resend request unanswered'))
      .finally(() => this.outstanding.delete(storeId));
  }
}
