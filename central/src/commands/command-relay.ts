import type { JetStreamManager, StreamInfo } from '@nats-io/jetstream';
import { commandsStreamConfig, type NatsNames } from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { createCommandOutboxRepository, type OutboxCommand } from '../db/command-outbox-repository';
import type { Database } from '../db/database';
import type { NatsClients } from '../sync/nats-link';

const MIN_BACKOFF_MS = 100;
const HOUR_MS = 3_600_000;
const MAX_BACKOFF_MS = 5_000;

export type CommandRelayOptions = {
  db: Database;
  /** The JetStream clients while NATS is up, else undefined (the relay then waits; the outbox keeps the commands). */
  clients: () => Pick<NatsClients, 'js' | 'jsm'> | undefined;
  names: NatsNames;
  log: FastifyBaseLogger;
  registry?: Registry;
  batchMax?: number;
  /** Idle poll: picks up commands other replicas enqueued (their own relay may be down). */
  pollMs?: number;
  publishTimeoutMs?: number;
};

function groupByStore(rows: readonly OutboxCommand[]): Map<string, OutboxCommand[]> {
  const runs = new Map<string, OutboxCommand[]>();
  for (const row of rows) {
    const run = runs.get(row.storeId);
    if (run) run.push(row);
    else runs.set(row.storeId, [row]);
  }
  return runs;
}

/** The commands stream with the shared definition; stores create the same one if they come up first. */
export async function ensureCommandsStream(jsm: JetStreamManager, names: NatsNames): Promise<StreamInfo> {
  const config = commandsStreamConfig(names);
  try {
    return await jsm.streams.info(config.name);
  } catch {
    return jsm.streams.add(config).catch(() => jsm.streams.info(config.name));
  }
}

/**
 * Drains command_outbox to INV_COMMANDS (`inv.commands.<storeId>`) in created order: per round, each
 * store's commands one after another (stores in parallel), msgID = command id, published_at set for
 * each store up to its last contiguous PubAck. A round
 * runs in one transaction holding a try-advisory-lock, so across replicas one relays at a time
 * (order kept, nobody blocks); a crash after publish and before commit republishes, which JetStream's
 * dedup window and the store's idempotent applyCommand make harmless.
 */
export class CommandRelay {
  private stopped = true;
  private wake: (() => void) | undefined;
  /** Set by notify(): commands were enqueued while a round was running, so do not idle. */
  private dirty = false;
  private streamReady = false;
  private running: Promise<void> | undefined;
  private readonly published: Counter | undefined;
  private readonly batchMax: number;
  private readonly pollMs: number;
  private readonly publishTimeoutMs: number;

  constructor(private readonly deps: CommandRelayOptions) {
    this.batchMax = deps.batchMax ?? 500;
    this.pollMs = deps.pollMs ?? 1_000;
    this.publishTimeoutMs = deps.publishTimeoutMs ?? 5_000;
    this.published = deps.registry
      ? new Counter({
          name: 'central_commands_published_total',
          help: 'Store commands published to INV_COMMANDS',
          registers: [deps.registry],
        })
      : undefined;
  }

  /** A transaction enqueued commands: relay now rather than at the next poll. */
  notify(): void {
    this.dirty = true;
    this.wake?.();
  }

  /** NATS is back: check the stream before the next round (see republishIfLost), then relay. */
  reconnected(): void {
    this.streamReady = false;
    this.notify();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  /** One round; returns how many commands it published (0 when another replica holds the round or NATS is down). */
  async relayOnce(): Promise<number> {
    const nats = this.deps.clients();
    if (!nats) return 0;
    if (!this.streamReady) {
      await this.republishIfLost(await ensureCommandsStream(nats.jsm, this.deps.names));
      this.streamReady = true;
    }
    const { published, failure } = await this.deps.db.transaction(async (tx) => {
      const outbox = createCommandOutboxRepository(tx);
      if (!(await outbox.tryRelayLock())) return { published: 0, failure: undefined };
      const rows = await outbox.unpublished(this.batchMax);
      if (rows.length === 0) return { published: 0, failure: undefined };
      // Per store one command at a time, stores side by side. Pipelining a store's commands let a later
      // one be stored while an earlier one was lost with a dying connection; the earlier one, sent again
      // next round, then landed behind it (a cancel before its request: the store kept the transfer).
      const outcomes = await Promise.all([...groupByStore(rows).values()].map((run) => this.publishInOrder(nats, run)));
      await outbox.markPublished(
        outcomes.flatMap((o) => o.done),
        new Date(),
      );
      const failed = outcomes.find((o) => o.failure !== undefined);
      return { published: outcomes.reduce((n, o) => n + o.done.length, 0), failure: failed?.failure };
    });
    this.published?.inc(published);
    if (failure !== undefined) throw failure;
    return published;
  }

  /**
   * A stream holding fewer messages than central published within its retention lost them (nats-server
   * back without its storage): a store that had not read its commands yet never would. Every command
   * of the retention window goes out again, in order; stores apply each command once (by its id).
   * The count leaves out the window's last hour, whose oldest messages may just have aged out.
   */
  private async republishIfLost({ state }: StreamInfo): Promise<void> {
    const config = commandsStreamConfig(this.deps.names);
    const retentionMs = config.max_age / 1e6;
    const outbox = createCommandOutboxRepository(this.deps.db);
    const published = await outbox.publishedSince(new Date(Date.now() - retentionMs + HOUR_MS));
    if (state.messages >= published) return;
    const again = await outbox.unpublishSince(new Date(Date.now() - retentionMs));
    this.deps.log.warn(
      { stream: config.name, messages: state.messages, published, republishing: again },
      'commands stream lost messages (NATS storage lost?): publishing the retention window again',
    );
  }

  /** Publishes one store's commands in order and stops at the first that JetStream did not acknowledge. */
  private async publishInOrder(
    nats: Pick<NatsClients, 'js'>,
    run: readonly OutboxCommand[],
  ): Promise<{ done: string[]; failure?: unknown }> {
    const done: string[] = [];
    for (const row of run) {
      try {
        await nats.js.publish(this.deps.names.commandsSubject(row.storeId), JSON.stringify(row.payload), {
          msgID: row.id,
          timeout: this.publishTimeoutMs,
        });
      } catch (failure) {
        return { done, failure };
      }
      done.push(row.id);
    }
    return { done };
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private async loop(): Promise<void> {
    let backoff = MIN_BACKOFF_MS;
    while (!this.stopped) {
      this.dirty = false;
      try {
        const published = await this.relayOnce();
        backoff = MIN_BACKOFF_MS;
        if (published < this.batchMax && !this.dirty) await this.pause(this.pollMs);
      } catch (error) {
        if (this.stopped) break;
        this.streamReady = false;
        this.deps.log.warn({ err: (error as Error).message, retryInMs: backoff }, 'command relay failed');
        await this.pause(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }
}
