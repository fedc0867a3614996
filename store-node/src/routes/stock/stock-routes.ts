import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DomainError, ErrorCode, SkuSchema } from '@stocksync/shared';
import { errors, PageQuery, SkuParams, StockView } from '../route-schemas';

export const stockRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/stock',
    {
      schema: {
        tags: ['stock'],
        summary: 'Stock of every SKU at this store (works offline)',
        querystring: Type.Object(
          {
            lowStock: Type.Optional(Type.Boolean({ description: 'only SKUs whose available is below minStock' })),
            sku: Type.Optional(Type.String({ maxLength: 64, description: 'SKU prefix' })),
            ...PageQuery,
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(StockView), nextCursor: Type.Union([SkuSchema, Type.Null()]) }),
          ...errors(),
        },
      },
    },
    async (request) =>
      app.repos.stock.list({
        lowStock: request.query.lowStock,
        skuPrefix: request.query.sku,
        after: request.query.after,
        limit: request.query.limit ?? 100,
      }),
  );

  app.get(
    '/stock/:sku',
    { schema: { tags: ['stock'], params: SkuParams, response: { 200: StockView, ...errors(404) } } },
    async (request) => {
      const row = app.repos.stock.find(request.params.sku);
      if (!row) throw new DomainError(ErrorCode.NOT_FOUND, `Unknown SKU: ${request.params.sku}`);
      const { active: _active, ...view } = row;
      return view;
    },
  );
};
