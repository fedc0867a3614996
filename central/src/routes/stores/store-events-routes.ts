import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { DomainError, ErrorCode, StockEventSchema } from '@stocksync/shared';
import { createLedgerRepository } from '../../db/ledger-repository';
import { createStoresRepository } from '../../db/stores-repository';
import { Limit, readErrors, StoreIdParam } from '../common-schemas';

const EventsQuery = Type.Object(
  {
    afterSeq: Type.Integer({ minimum: 0, default: 0, description: 'events with a greater seq' }),
    limit: Limit(1000, 500),
  },
  { additionalProperties: false },
);
const EventsPage = Type.Object({
  items: Type.Array(StockEventSchema),
  nextAfterSeq: Type.Union([Type.Integer(), Type.Null()], { description: 'pass as afterSeq; null: no more' }),
});

/**
 * A store's applied history as the envelopes it sealed, in seq order: an auditor (or a tool) can
 * recompute every hash from genesis with `verifyChain` and needs to trust neither central nor the store.
 */
export const storeEventsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ledger = createLedgerRepository(app.db);
  const stores = createStoresRepository(app.db);
  app.get(
    '/stores/:storeId/events',
    {
      schema: {
        tags: ['stores'],
        summary: "A store's events as applied at central, in seq order (its hash chain, verifiable)",
        params: Type.Object({ storeId: StoreIdParam }, { additionalProperties: false }),
        querystring: EventsQuery,
        response: { 200: EventsPage, ...readErrors },
      },
    },
    async (request) => {
      const { storeId } = request.params;
      if (!(await stores.get(storeId))) throw new DomainError(ErrorCode.NOT_FOUND, `Store ${storeId} not found`);
      const { afterSeq, limit } = request.query;
      const items = await ledger.storeEvents(storeId, afterSeq, limit + 1);
      const page = items.slice(0, limit);
      return { items: page, nextAfterSeq: items.length > limit ? (page.at(-1)?.seq ?? null) : null };
    },
  );
};
