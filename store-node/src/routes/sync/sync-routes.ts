import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errors } from '../route-schemas';

const SyncView = Type.Object({
  storeId: Type.String(),
  online: Type.Boolean({ description: 'connected to NATS right now' }),
  pending: Type.Integer({ description: 'events in the outbox not yet acknowledged by JetStream' }),
  lastSeq: Type.Integer(),
  lastPublishedSeq: Type.Integer(),
  oldestPendingAgeMs: Type.Integer(),
  lastPublishedAt: Type.Union([Type.String(), Type.Null()]),
  behindCentral: Type.Union([Type.Object({ centralSeq: Type.Integer(), localSeq: Type.Integer() }), Type.Null()], {
    description:
      'central has applied more of this store than this file holds (restored from a backup): stock changes ' +
      'answer 503 STORE_BEHIND_CENTRAL until `npm run store:recover` runs with the node stopped',
  }),
  clockOffsetMs: Type.Union([Type.Integer(), Type.Null()], {
    description:
      "this store's clock minus central's, measured from the last answered heartbeat (± half its round trip); " +
      'null until central answered one',
  }),
});

export const syncRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/sync', { schema: { tags: ['ops'], response: { 200: SyncView, ...errors() } } }, async () => {
    const stats = app.repos.outbox.stats(app.clock.now());
    const link = app.syncLink.status();
    return {
      storeId: app.config.STORE_ID,
      online: link.online,
      pending: stats.pending,
      lastSeq: app.repos.ledger.lastSeq(),
      lastPublishedSeq: stats.lastPublishedSeq,
      oldestPendingAgeMs: stats.oldestPendingAgeMs,
      lastPublishedAt: link.lastPublishedAt,
      behindCentral: link.behindCentral,
      clockOffsetMs: link.clockOffsetMs,
    };
  });
};
