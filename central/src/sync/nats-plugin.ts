import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type NatsNames, natsConnectOptions, natsNames } from '@stocksync/shared';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export type NatsClients = { nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager; names: NatsNames };

declare module 'fastify' {
  interface FastifyInstance {
    nats: NatsClients;
  }
}

/**
 * One NATS connection per process that reconnects forever: a NATS restart must pause sync, never end it.
 * Start-up still fails fast when NATS is unreachable, so a supervisor sees the problem.
 */
export const natsPlugin = fp(
  async (app: FastifyInstance) => {
    const { NATS_URL, NATS_PREFIX } = app.config;
    const nc = await connect({
      // Credentials may ride in NATS_URL (nats://central:secret@host): see deploy/nats/nats-server.conf.
      ...natsConnectOptions(NATS_URL),
      name: 'stocksync-central',
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      // The client otherwise builds an Error (with a stack trace) for every request and publish,
      // measured at ~8% of CPU on the publish path.
      noAsyncTraces: true,
    });
    const jsm = await jetstreamManager(nc);
    app.decorate('nats', { nc, js: jetstream(nc), jsm, names: natsNames(NATS_PREFIX) });

    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') {
          app.log.warn({ nats: status.type }, 'nats connection status');
        }
      }
    })();

    app.addHook('onClose', async () => {
      if (nc.isClosed()) return;
      // drain() flushes pending acks before closing; close() is the fallback when NATS is unreachable.
      await Promise.race([nc.drain(), new Promise((resolve) => setTimeout(resolve, 2000))]).catch(() => undefined);
      if (!nc.isClosed()) await nc.close();
    });
  },
  { name: 'nats', fastify: '5.x', dependencies: ['config'] },
);
