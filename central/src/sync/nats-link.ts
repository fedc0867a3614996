import { setTimeout as sleep } from 'node:timers/promises';
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type ConnectionOptions, connect, InvalidArgumentError, type NatsConnection } from '@nats-io/transport-node';
import type { NatsNames } from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';

export type NatsClients = { nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager; names: NatsNames };

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5_000;

/** Options no server can fix (an unparseable server URL): retrying would only hide a bad setting. */
const isInvalidOptions = (error: unknown) => error instanceof TypeError || error instanceof InvalidArgumentError;

/**
 * Central's one NATS connection, made in the background and retried forever with backoff, so central
 * serves its API with NATS down. Once made, the client reconnects by itself (subscriptions and
 * consumers survive); only a connection the client gave up on for good is replaced by a new one.
 * Our own loop rather than `waitOnFirstConnect`: that one cannot be cancelled before it connects
 * (there is no connection object to close), so shutdown would leave it dialling.
 */
export class NatsLink {
  private current: NatsClients | undefined;
  private up = false;
  private closed = false;
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private readonly connectListeners = new Set<(clients: NatsClients) => void>();
  private readonly upListeners = new Set<() => void>();

  constructor(
    private readonly opts: { options: ConnectionOptions; names: NatsNames; log: FastifyBaseLogger; waitMs: number },
  ) {}

  get names(): NatsNames {
    return this.opts.names;
  }

  /** The connection while NATS answers; undefined before the first connect and while reconnecting. */
  get clients(): NatsClients | undefined {
    return this.up ? this.current : undefined;
  }

  /**
   * Runs for every new connection (at once if there is one). Subscriptions made here survive the
   * client's reconnects, so this is where they belong. Returns the function that unregisters it.
   */
  onConnect(listener: (clients: NatsClients) => void): () => void {
    this.connectListeners.add(listener);
    if (this.current) listener(this.current);
    return () => this.connectListeners.delete(listener);
  }

  /** Runs whenever NATS becomes reachable again: a new connection or a reconnect. */
  onUp(listener: () => void): () => void {
    this.upListeners.add(listener);
    return () => this.upListeners.delete(listener);
  }

  /** The clients as soon as NATS is reachable; rejects when `signal` aborts. */
  whenUp(signal: AbortSignal): Promise<NatsClients> {
    const now = this.clients;
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const done = () => {
        off();
        signal.removeEventListener('abort', aborted);
      };
      const aborted = () => {
        done();
        reject(signal.reason);
      };
      const off = this.onUp(() => {
        const clients = this.clients;
        if (!clients) return;
        done();
        resolve(clients);
      });
      if (signal.aborted) aborted();
      else signal.addEventListener('abort', aborted, { once: true });
    });
  }

  /**
   * Starts connecting, and waits up to `waitMs` for the first connection so that a central started
   * together with NATS is complete when ready. Rejects only when the options are invalid (nothing to
   * retry); any other failure is retried in the background.
   */
  async start(): Promise<void> {
    let rejectInvalid!: (error: unknown) => void;
    const invalid = new Promise<never>((_, reject) => {
      rejectInvalid = reject;
    });
    this.running = this.run(rejectInvalid).catch((error: unknown) =>
      this.opts.log.error({ err: error }, 'nats connect loop ended; restart central to reconnect'),
    );
    const waiting = new AbortController();
    try {
      await Promise.race([
        invalid,
        this.whenUp(waiting.signal),
        sleep(this.opts.waitMs, undefined, { signal: waiting.signal }),
      ]);
    } finally {
      waiting.abort();
    }
    if (!this.up) this.opts.log.warn('nats not reachable yet; connecting in the background');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.up = false;
    this.abort.abort();
    this.connectListeners.clear();
    this.upListeners.clear();
    const nc = this.current?.nc;
    this.current = undefined;
    if (nc && !nc.isClosed()) {
      // drain() flushes pending acks before closing; close() is the fallback when NATS is unreachable.
      await Promise.race([nc.drain(), sleep(2_000, undefined, { ref: false })]).catch(() => undefined);
      if (!nc.isClosed()) await nc.close();
    }
    // A dial in flight cannot be cancelled; the loop closes what it brings back. Never wait long for it.
    await Promise.race([this.running, sleep(500, undefined, { ref: false })]);
  }

  private async run(invalidOptions: (error: unknown) => void): Promise<void> {
    const { log } = this.opts;
    let failures = 0;
    let lastError = '';
    for (let first = true; !this.closed; first = false) {
      let nc: NatsConnection;
      try {
        nc = await connect(this.opts.options);
      } catch (error) {
        if (first && isInvalidOptions(error)) {
          invalidOptions(error);
          return;
        }
        const message = (error as Error).message;
        // One line per distinct failure, not one per attempt.
        if (message !== lastError) log.warn({ err: message }, 'nats connect failed; retrying');
        lastError = message;
        const backoff = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** failures++);
        await sleep(backoff, undefined, { signal: this.abort.signal }).catch(() => undefined);
        continue;
      }
      if (this.closed) {
        await nc.close();
        return;
      }
      failures = 0;
      lastError = '';
      const ended = await this.adopt(nc);
      if (this.closed) return;
      log.error({ err: ended }, 'nats connection closed for good; connecting again');
    }
  }

  /** Serves one connection until it closes; returns why it closed. */
  private async adopt(nc: NatsConnection): Promise<unknown> {
    // checkAPI false: no JetStream round trip here; every JetStream user retries on its own errors.
    const clients: NatsClients = {
      nc,
      js: jetstream(nc),
      jsm: await jetstreamManager(nc, { checkAPI: false }),
      names: this.opts.names,
    };
    this.current = clients;
    this.up = true;
    this.opts.log.info({ server: nc.getServer() }, 'nats connected');
    void this.follow(nc);
    for (const listener of this.connectListeners) this.call(() => listener(clients));
    this.notifyUp();
    const ended = await nc.closed();
    if (this.current === clients) {
      this.current = undefined;
      this.up = false;
    }
    return ended;
  }

  private async follow(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'staleConnection') this.up = false;
      if (status.type === 'reconnect' && !this.closed) {
        this.up = true;
        this.notifyUp();
      }
      if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') {
        this.opts.log.warn({ nats: status.type }, 'nats connection status');
      }
    }
  }

  private notifyUp(): void {
    for (const listener of this.upListeners) this.call(listener);
  }

  /** A failing listener must not end the connect loop (nothing awaits it but close). */
  private call(listener: () => void): void {
    try {
      listener();
    } catch (error) {
      this.opts.log.error({ err: error }, 'nats listener failed');
    }
  }
}
