import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { DomainError, ErrorCode } from '@stocksync/shared';
import { createProductsRepository } from '../../db/products-repository';
import { createStoreSettingsRepository, type StoreSkuSettingsRow } from '../../db/store-settings-repository';
import { reevaluateLowStock } from '../../domain/low-stock-alerts';
import { DateTime, ErrorSchema, Nullable, readErrors, SkuParam, StoreIdParam } from '../common-schemas';

const MinStockBody = Type.Object(
  {
    minStock: Nullable(
      Type.Integer({ minimum: 0, maximum: 1_000_000, description: "this store's minimum; null = product default" }),
    ),
  },
  { additionalProperties: false },
);
const MinStockSchema = Type.Object({
  storeId: Type.String(),
  sku: Type.String(),
  minStock: Nullable(Type.Integer()),
  version: Type.Integer(),
  /** This version is in the store settings bucket the store follows. */
  published: Type.Boolean(),
  updatedAt: DateTime,
});

const view = (row: StoreSkuSettingsRow) => ({
  storeId: row.storeId,
  sku: row.sku,
  minStock: row.minStock,
  version: row.version,
  published: row.publishedVersion >= row.version,
  updatedAt: row.updatedAt.toISOString(),
});

/**
 * Per-store minimum stock (DESIGN §6). The product must exist; the store need not have reported yet
 * (a store is known at central from its first event): it gets the setting when it connects.
 */
export const minStockRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.put(
    '/stores/:storeId/min-stock/:sku',
    {
      schema: {
        tags: ['stores'],
        summary: "Set a store's minimum stock for a SKU (null: back to the product default)",
        params: Type.Object({ storeId: StoreIdParam, sku: SkuParam }, { additionalProperties: false }),
        body: MinStockBody,
        response: { 200: MinStockSchema, ...readErrors, 404: ErrorSchema, 429: ErrorSchema },
      },
    },
    async (request) => {
      const { storeId, sku } = request.params;
      const { row, alerts } = await app.db.transaction(async (tx) => {
        if (!(await createProductsRepository(tx).get(sku)))
          throw new DomainError(ErrorCode.NOT_FOUND, `Product ${sku} not found`);
        const row = await createStoreSettingsRepository(tx).setMinStock(storeId, sku, request.body.minStock);
        // The store's stock did not move, but "below its minimum" may have: open or resolve now.
        return { row, alerts: await reevaluateLowStock(tx, [sku], storeId) };
      });
      app.alertHub.publish(alerts);
      if (row.publishedVersion >= row.version) return view(row);
      await app.catalogPublisher.flush();
      return view((await createStoreSettingsRepository(app.db).get(storeId, sku)) ?? row);
    },
  );
};
