import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['ops'],
        response: {
          200: Type.Object({ status: Type.Literal('ok'), storeId: Type.String(), lastSeq: Type.Integer() }),
        },
      },
    },
    async () => {
      app.sqlite.prepare('select 1').get();
      return { status: 'ok' as const, storeId: app.config.STORE_ID, lastSeq: app.repos.ledger.lastSeq() };
    },
  );
};
