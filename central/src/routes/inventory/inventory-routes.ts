import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { createStockRepository } from '../../db/stock-repository';
import {
  Cursor,
  decodeCursor,
  Limit,
  Page,
  readErrors,
  SkuParam,
  SkuPrefixParam,
  StoreIdParam,
  toPage,
} from '../common-schemas';
import { InventoryItemSchema, inventoryItem } from './inventory-schemas';

const InventoryQuery = Type.Object(
  {
    storeId: Type.Optional(StoreIdParam),
    sku: Type.Optional(SkuParam),
    skuPrefix: Type.Optional(SkuPrefixParam),
    lowStock: Type.Optional(Type.Boolean({ description: 'true: only low stock; false: only not low' })),
    limit: Limit(1000, 100),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

/** Chain-wide stock, ordered by (storeId, sku). */
export const inventoryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const stock = createStockRepository(app.db);
  app.get(
    '/inventory',
    {
      schema: {
        tags: ['inventory'],
        summary: 'Stock of every store and SKU',
        querystring: InventoryQuery,
        response: { 200: Page(InventoryItemSchema), ...readErrors },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const after = cursor ? decodeCursor(cursor, ['string', 'string'] as const) : undefined;
      const rows = await stock.list({
        ...filter,
        after: after ? { storeId: after[0], sku: after[1] } : undefined,
        limit: limit + 1,
      });
      return toPage(rows, limit, (r) => [r.storeId, r.sku], inventoryItem);
    },
  );
};
