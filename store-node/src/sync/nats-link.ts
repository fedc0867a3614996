import { type ConnectionOptions, connect, type NatsConnection } from '@nats-io/transport-node';
import type { FastifyBaseLogger } from 'fastify';

/**
 * The store's connection to NATS. The store must start and sell without it, so the connection is
 * made in the background and retried forever; `online` follows the client's status events.
 */
export class NatsLink {
  private nc: NatsConnection | undefined;
  private closed = false;
  private readonly connectListeners: Array<(nc: NatsConnection) => void> = [];
  online = false;

  constructor(private readonly opts: { options: ConnectionOptions; log: FastifyBaseLogger }) {}

  get connection(): NatsConnection | undefined {
    return this.online ? this.nc : undefined;
  }

  /** Runs once when the first connection is made (subscriptions then survive reconnects). */
  onConnect(listener: (nc: NatsConnection) => void): void {
    this.connectListeners.push(listener);
    if (this.nc) listener(this.nc);
  }

  start(): void {
    connect(this.opts.options).then(
      (nc) => {
        if (this.closed) {
          void nc.close();
          return;
        }
        this.nc = nc;
        this.online = true;
        this.opts.log.info({ server: nc.getServer() }, 'nats connected');
        void this.watch(nc);
        for (const listener of this.connectListeners) listener(nc);
      },
      (err: unknown) => this.opts.log.error({ err }, 'nats connect gave up'),
    );
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'staleConnection') this.online = false;
      if (status.type === 'reconnect') this.online = true;
      if (status.type === 'disconnect' || status.type === 'reconnect')
        this.opts.log.info({ nats: status.type }, 'nats link');
    }
    this.online = false;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.online = false;
    if (this.nc && !this.nc.isClosed()) await this.nc.close();
  }
}
