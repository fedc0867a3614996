import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { createStockRepository } from '../../db/stock-repository';
import { createTransfersRepository } from '../../db/transfers-repository';
import { readErrors, SkuParam } from '../common-schemas';

const Quantities = {
  onHand: Type.Integer(),
  reserved: Type.Integer(),
  available: Type.Integer(),
  inTransit: Type.Integer({ description: 'shipped towards this store by transfers, not yet received' }),
};
const AvailabilitySchema = Type.Object({
  sku: Type.String(),
  stores: Type.Array(Type.Object({ storeId: Type.String(), ...Quantities, version: Type.Integer() })),
  totals: Type.Object(Quantities),
});

/**
 * Where a SKU can be had across the chain (DESIGN §7). An unknown SKU has no stores and zero totals.
 * inTransit counts towards the receiving store (a store with goods on the way but no stock row yet
 * is listed with zeros), so totals.onHand + totals.inTransit is the chain's whole quantity (§8.5).
 */
export const availabilityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const stock = createStockRepository(app.db);
  const transfers = createTransfersRepository(app.db);
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
      const [rows, inTransit] = await Promise.all([stock.bySku(sku), transfers.inTransitBySku(sku)]);
      const stores = rows.map((r) => ({
        storeId: r.storeId,
        onHand: r.onHand,
        reserved: r.reserved,
        available: r.onHand - r.reserved,
        inTransit: inTransit.get(r.storeId) ?? 0,
        version: r.version,
      }));
      for (const [storeId, qty] of inTransit) {
        if (!stores.some((s) => s.storeId === storeId)) {
          stores.push({ storeId, onHand: 0, reserved: 0, available: 0, inTransit: qty, version: 0 });
        }
      }
      stores.sort((a, b) => (a.storeId < b.storeId ? -1 : a.storeId > b.storeId ? 1 : 0));
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
