import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { DomainError, ErrorCode } from '@stocksync/shared';
import { createStockRepository } from '../../db/stock-repository';
import { createStoresRepository } from '../../db/stores-repository';
import { storeHealth, storeHealthPage } from '../../domain/store-health';
import {
  Cursor,
  decodeCursor,
  ErrorSchema,
  Limit,
  Page,
  readErrors,
  SkuPrefixParam,
  StoreIdParam,
  toPage,
} from '../common-schemas';
import { InventoryItemSchema, inventoryItem } from '../inventory/inventory-schemas';
import { StoreSchema } from './store-schemas';

const StoreParams = Type.Object({ storeId: StoreIdParam }, { additionalProperties: false });
const ListQuery = Type.Object(
  { limit: Limit(1000, 100), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);
const StoreInventoryQuery = Type.Object(
  {
    skuPrefix: Type.Optional(SkuPrefixParam),
    lowStock: Type.Optional(Type.Boolean({ description: 'true: only low stock; false: only not low' })),
    limit: Limit(1000, 100),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const storesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const storesRepo = createStoresRepository(app.db);
  const stock = createStockRepository(app.db);
  const offlineAfter = app.config.STORE_OFFLINE_AFTER_MS;

  const mustExist = async (storeId: string) => {
    const store = await storesRepo.get(storeId);
    if (!store) throw new DomainError(ErrorCode.NOT_FOUND, `Store ${storeId} not found`);
    return store;
  };

  app.get(
    '/stores',
    {
      schema: {
        tags: ['stores'],
        summary: 'Known stores with their sync state',
        querystring: ListQuery,
        response: { 200: Page(StoreSchema), ...readErrors },
      },
    },
    async (request) => storeHealthPage(storesRepo, request.query, offlineAfter),
  );

  app.get(
    '/stores/:storeId',
    {
      schema: {
        tags: ['stores'],
        summary: 'One store',
        params: StoreParams,
        response: { 200: StoreSchema, 404: ErrorSchema, ...readErrors },
      },
    },
    async (request) => storeHealth(await mustExist(request.params.storeId), Date.now(), offlineAfter),
  );

  app.get(
    '/stores/:storeId/inventory',
    {
      schema: {
        tags: ['stores', 'inventory'],
        summary: "One store's stock, ordered by SKU",
        params: StoreParams,
        querystring: StoreInventoryQuery,
        response: { 200: Page(InventoryItemSchema), 404: ErrorSchema, ...readErrors },
      },
    },
    async (request) => {
      const { storeId } = request.params;
      const { limit, cursor, ...filter } = request.query;
      await mustExist(storeId);
      const after = cursor ? decodeCursor(cursor, ['string'] as const)[0] : undefined;
      const rows = await stock.list({
        ...filter,
        storeId,
        after: after !== undefined ? { storeId, sku: after } : undefined,
        limit: limit + 1,
      });
      return toPage(rows, limit, (r) => [r.sku], inventoryItem);
    },
  );
};
