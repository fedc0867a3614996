import { natsConnectOptions, natsNames } from '@stocksync/shared';
import { ConfigError } from '@stocksync/shared/service';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { NatsLink } from './nats-link';

export type { NatsClients } from './nats-link';

declare module 'fastify' {
  interface FastifyInstance {
    /** The NATS link: `clients` is undefined while NATS is down; start NATS work in `onConnect`. */
    nats: NatsLink;
  }
}

/**
 * One NATS connection per process, made in the background and kept forever: central starts and
 * serves its API with NATS down, and a NATS restart pauses sync, never ends it. Only a NATS_URL the
 * client cannot parse stops start-up.
 */
export const natsPlugin = fp(
  async (app: FastifyInstance) => {
    const { NATS_URL, NATS_PREFIX } = app.config;
    const link = new NatsLink({
      options: {
        // Credentials may ride in NATS_URL (nats://central:secret@host): see deploy/nats/nats-server.conf.
        ...natsConnectOptions(NATS_URL),
        name: 'stocksync-central',
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        // Bounds one dial to a black-holed address (the default is 20 s).
        timeout: 5_000,
        // The client otherwise builds an Error (with a stack trace) for every request and publish,
        // measured at ~8% of CPU on the publish path.
        noAsyncTraces: true,
      },
      names: natsNames(NATS_PREFIX),
      log: app.log.child({ component: 'nats' }),
      // Services started together: NATS usually answers within this, and central is then complete when ready.
      waitMs: 2_000,
    });
    await link.start().catch((error: unknown) => {
      // The URL may carry a password: name the setting, not its value.
      throw new ConfigError(`invalid configuration: NATS_URL: ${(error as Error).message}`);
    });
    app.decorate('nats', link);
    app.addHook('onClose', () => link.close());
  },
  { name: 'nats', fastify: '5.x', dependencies: ['config'] },
);
