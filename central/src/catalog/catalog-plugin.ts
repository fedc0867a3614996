import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { CatalogPublisher } from './catalog-publisher';

declare module 'fastify' {
  interface FastifyInstance {
    catalogPublisher: CatalogPublisher;
  }
}

/** Domain stage: the catalog/settings publisher, started once the app is ready (it publishes on start). */
export const catalogPlugin = fp(
  async (app: FastifyInstance) => {
    const publisher = new CatalogPublisher({
      db: app.db,
      nats: app.nats,
      log: app.log.child({ component: 'catalog' }),
      intervalMs: app.config.CATALOG_PUBLISH_INTERVAL_MS,
      putTimeoutMs: 2_000,
    });
    app.decorate('catalogPublisher', publisher);
    app.addHook('onReady', async () => publisher.start());
    app.addHook('onClose', async () => publisher.stop());
  },
  { name: 'catalog', fastify: '5.x', dependencies: ['config', 'db', 'nats'] },
);
