import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError, ErrorCode } from '@stocksync/shared';
import { createProductsRepository, type ProductRow, type ProductsRepository } from '../../db/products-repository';
import { reevaluateLowStock } from '../../domain/low-stock-alerts';
import { decodeCursor, ErrorSchema, Page, readErrors, toPage } from '../common-schemas';
import {
  CreateProductBody,
  ProductListQuery,
  ProductSchema,
  productFields,
  productView,
  ReplaceProductBody,
  SkuParams,
} from './catalog-schemas';

const writeErrors = { ...readErrors, 404: ErrorSchema, 409: ErrorSchema, 413: ErrorSchema, 429: ErrorSchema };

/**
 * The catalog central owns (DESIGN §6). Every write commits in PostgreSQL first (version + 1), then
 * is pushed to the catalog bucket the stores follow; if that push fails the answer is still the
 * committed product (`published: false`) and the catalog publisher retries it.
 */
export const catalogRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const repo = createProductsRepository(app.db);

  const found = (row: ProductRow | undefined, sku: string): ProductRow => {
    if (!row) throw new DomainError(ErrorCode.NOT_FOUND, `Product ${sku} not found`);
    return row;
  };
  /**
   * A catalog write in one transaction with the alerts its default minimum or active flag opens or
   * resolves at every store (central's projection keeps the effective minimum per row; an inactive
   * product has no alert); the alerts go out after commit.
   */
  const write = async (change: (products: ProductsRepository) => Promise<ProductRow | undefined>) => {
    const { row, alerts } = await app.db.transaction(async (tx) => {
      const row = await change(createProductsRepository(tx));
      return { row, alerts: row ? await reevaluateLowStock(tx, [row.sku]) : [] };
    });
    app.alertHub.publish(alerts);
    return row;
  };
  /** Publishes right away; what this misses (NATS down) the publisher's timer retries. */
  const published = async (row: ProductRow) => {
    if (row.publishedVersion >= row.version) return productView(row);
    await app.catalogPublisher.flush();
    return productView((await repo.get(row.sku)) ?? row);
  };

  app.get(
    '/products',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Catalog, filtered, ordered by sku',
        querystring: ProductListQuery,
        response: { 200: Page(ProductSchema), ...readErrors },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const afterSku = cursor ? decodeCursor(cursor, ['string'] as const)[0] : undefined;
      const rows = await repo.list({ ...filter, afterSku, limit: limit + 1 });
      return toPage(rows, limit, (r) => [r.sku], productView);
    },
  );

  app.get(
    '/products/:sku',
    {
      schema: {
        tags: ['catalog'],
        summary: 'One product (inactive ones included)',
        params: SkuParams,
        response: { 200: ProductSchema, ...readErrors, 404: ErrorSchema },
      },
    },
    async (request) => productView(found(await repo.get(request.params.sku), request.params.sku)),
  );

  app.post(
    '/products',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Create a product (409 DUPLICATE_SKU if the sku exists, active or not)',
        body: CreateProductBody,
        response: { 201: ProductSchema, ...writeErrors },
      },
    },
    async (request, reply) => {
      const { sku, ...body } = request.body;
      const row = await write((products) => products.create(sku, productFields(body)));
      if (!row) throw new DomainError(ErrorCode.DUPLICATE_SKU, `Product ${sku} already exists`, { sku });
      return reply.status(201).send(await published(row));
    },
  );

  app.put(
    '/products/:sku',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Replace a product (omitted optional fields take their defaults; same values: no change)',
        params: SkuParams,
        body: ReplaceProductBody,
        response: { 200: ProductSchema, ...writeErrors },
      },
    },
    async (request) => {
      const { sku } = request.params;
      return published(found(await write((products) => products.replace(sku, productFields(request.body))), sku));
    },
  );

  app.delete(
    '/products/:sku',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Deactivate a product (stores refuse sales and holds; history stays)',
        params: SkuParams,
        response: { 200: ProductSchema, ...writeErrors },
      },
    },
    async (request) => {
      const { sku } = request.params;
      return published(found(await write((products) => products.deactivate(sku)), sku));
    },
  );
};
