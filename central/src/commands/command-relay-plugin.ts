import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { CommandRelay } from './command-relay';

export type CommandRelayPluginOptions = {
  /** false: never relay from this process (an API-only replica); notify() is then a no-op. */
  enabled?: boolean | undefined;
  pollMs?: number;
};

declare module 'fastify' {
  interface FastifyInstance {
    commandRelay: CommandRelay;
  }
}

/** Central → store commands leave through this relay (see CommandRelay); started once the app is ready. */
export const commandRelayPlugin = fp<CommandRelayPluginOptions>(
  async (app: FastifyInstance, opts) => {
    const relay = new CommandRelay({
      db: app.db,
      clients: () => app.nats.clients,
      names: app.nats.names,
      log: app.log.child({ component: 'command-relay' }),
      registry: app.metrics,
      ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
    });
    app.decorate('commandRelay', relay);
    if (opts.enabled === false) return;
    app.addHook('onReady', async () => {
      relay.start();
      // Commands enqueued while NATS was down go out as soon as it is back, not at the next poll; and
      // the stream is looked at again, since a server can come back without its storage.
      app.nats.onUp(() => relay.reconnected());
    });
    app.addHook('onClose', async () => relay.stop());
  },
  { name: 'command-relay', fastify: '5.x', dependencies: ['db', 'nats', 'observability'] },
);
