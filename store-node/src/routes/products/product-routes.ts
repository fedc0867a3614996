import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DomainError, ErrorCode, SkuSchema } from '@stocksync/shared';
import { errors, PageQuery, SkuParams } from '../route-schemas';

const ProductView = Type.Object({
  sku: Type.String(),
  name: Type.String(),
  description: Type.String(),
  category: Type.String(),
  price: Type.String({ description: 'exact decimal' }),
  defaultMinStock: Type.Integer(),
  active: Type.Boolean(),
  updatedAt: Type.String(),
});

export const productRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/products',
    {
      schema: {
        tags: ['catalog'],
        querystring: Type.Object(
          { category: Type.Optional(Type.String({ maxLength: 64 })), ...PageQuery },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(ProductView), nextCursor: Type.Union([SkuSchema, Type.Null()]) }),
          ...errors(),
        },
      },
    },
    async (request) =>
      app.repos.products.list({
        category: request.query.category,
        after: request.query.after,
        limit: request.query.limit ?? 100,
      }),
  );

  app.get(
    '/products/:sku',
    { schema: { tags: ['catalog'], params: SkuParams, response: { 200: ProductView, ...errors(404) } } },
    async (request) => {
      const product = app.repos.products.find(request.params.sku);
      if (!product) throw new DomainError(ErrorCode.NOT_FOUND, `Unknown SKU: ${request.params.sku}`);
      return product;
    },
  );
};
