import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { createStockRepository } from '../../db/stock-repository';
import { readErrors, SkuParam } from '../common-schemas';

const Quantities = {
  onHand: Type.Integer(),
  reserved: Type.Integer(),
  available: Type.Integer(),
  inTransit: Type.Integer({ description: 'shipped to this store, not yet received (transfers: not built yet, 0)' }),
};
const AvailabilitySchema = Type.Object({
  sku: Type.String(),
  stores: Type.Array(Type.Object({ storeId: Type.String(), ...Quantities, version: Type.Integer() })),
  totals: Type.Object(Quantities),
});

/** Where a SKU can be had across the chain (DESIGN §7). An unknown SKU has no stores and zero totals. */
export const availabilityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const stock = createStockRepository(app.db);
  app.get(
    '/products/:sku/availability',
    {
      schema: {
        tags: ['inventory'],
        summary: 'Per-store and chain-wide availability of a SKU',
        params: Type.Object({ sku: SkuParam }, { additionalProperties: false }),
        response: { 200: AvailabilitySchema, ...readErrors },
      },
    },
    async (request) => {
      const { sku } = request.params;
      const rows = await stock.bySku(sku);
      const stores = rows.map((r) => ({
        storeId: r.storeId,
        onHand: r.onHand,
        reserved: r.reserved,
        available: r.onHand - r.reserved,
        inTransit: 0,
        version: r.version,
      }));
      const totals = { onHand: 0, reserved: 0, available: 0, inTransit: 0 };
      for (const s of stores) {
        totals.onHand += s.onHand;
        totals.reserved += s.reserved;
        totals.available += s.available;
        totals.inTransit += s.inTransit;
      }
      return { sku, stores, totals };
    },
  );
};
