import { natsNames } from '@stocksync/shared';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { NatsLink } from './nats-link';
import { OutboxPublisher } from './outbox-publisher';
import { startStoreResponder } from './store-responder';

export type SyncLinkStatus = { online: boolean; lastPublishedAt: string | null };

declare module 'fastify' {
  interface FastifyInstance {
    syncLink: { status(): SyncLinkStatus };
  }
}

/**
 * Store ↔ NATS: the outbox publisher, the gap-repair/state responder and heartbeats. With
 * SYNC_ENABLED=false the store runs standalone and reports itself offline.
 */
export const syncPlugin = fp(
  async (app: FastifyInstance) => {
    if (!app.config.SYNC_ENABLED) {
      app.decorate('syncLink', { status: () => ({ online: false, lastPublishedAt: null }) });
      return;
    }
    const names = natsNames(app.config.NATS_PREFIX);
    const storeId = app.config.STORE_ID;
    const now = () => app.clock.now();
    const link = new NatsLink({ servers: app.config.NATS_URL, name: `store-${storeId}`, log: app.log });
    const publisher = new OutboxPublisher({
      link,
      outbox: app.repos.outbox,
      writes: app.writes,
      names,
      storeId,
      log: app.log,
      now,
      durableSeq: app.repos.ledger.lastSeq(),
    });
    let responder: ReturnType<typeof startStoreResponder> | undefined;
    link.onConnect((nc) => {
      responder = startStoreResponder(nc, {
        db: app.db,
        ledger: app.repos.ledger,
        outbox: app.repos.outbox,
        names,
        storeId,
        log: app.log,
        now,
      });
      publisher.notify();
    });

    app.decorate('syncLink', {
      status: () => ({ online: link.online, lastPublishedAt: publisher.lastPublishedAt }),
    });
    app.addHook('onReady', async () => {
      link.start();
      publisher.start();
    });
    app.addHook('onClose', async () => {
      await publisher.stop();
      responder?.stop();
      await link.close();
    });
  },
  { name: 'sync', dependencies: ['config', 'domain'] },
);
