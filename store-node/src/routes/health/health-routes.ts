import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';

const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')], {
    description: 'degraded: the node runs but refuses stock changes (its disk is full)',
  }),
  storeId: Type.String(),
  lastSeq: Type.Integer(),
  storage: Type.Object({
    full: Type.Boolean({ description: 'stock changes answer 507 STORAGE_FULL until space is freed' }),
    freeBytes: Type.Union([Type.Integer(), Type.Null()], { description: 'free bytes on the data disk' }),
  }),
});

/**
 * Liveness: 200 while the process and its database answer. A full disk is `degraded`, not a failure:
 * restarting the node would not free space, and reads, sync and recovery keep working meanwhile.
 */
export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    { config: { public: true }, schema: { tags: ['ops'], response: { 200: HealthSchema } } },
    async () => {
      app.sqlite.prepare('select 1').get();
      const storage = app.storage();
      return {
        status: storage.full ? ('degraded' as const) : ('ok' as const),
        storeId: app.config.STORE_ID,
        lastSeq: app.repos.ledger.lastSeq(),
        storage,
      };
    },
  );
};
