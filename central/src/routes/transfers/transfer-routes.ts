import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { DomainError, ErrorCode, UuidSchema } from '@stocksync/shared';
import { createTransfersRepository } from '../../db/transfers-repository';
import {
  Cursor,
  decodeCursor,
  ErrorSchema,
  IdempotencyHeaders,
  Limit,
  Page,
  readErrors,
  SkuParam,
  StoreIdParam,
  toPage,
} from '../common-schemas';
import { TransferSchema, TransferStatusSchema, transferView } from './transfer-schemas';

const TransferBody = Type.Object(
  {
    sku: SkuParam,
    fromStoreId: StoreIdParam,
    toStoreId: StoreIdParam,
    qty: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  },
  { additionalProperties: false, examples: [{ sku: 'HOM-012', fromStoreId: 's1', toStoreId: 's2', qty: 4 }] },
);
const IdParams = Type.Object({ id: UuidSchema }, { additionalProperties: false });
const ListQuery = Type.Object(
  {
    status: Type.Optional(TransferStatusSchema),
    storeId: Type.Optional(StoreIdParam),
    sku: Type.Optional(SkuParam),
    limit: Limit(500, 100),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
const writeErrors = { 404: ErrorSchema, 409: ErrorSchema, ...readErrors } as const;

/** HQ side of two-step transfers (DESIGN §6): request, follow, cancel before shipping. */
export const transferRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const transfers = createTransfersRepository(app.db);

  app.post(
    '/transfers',
    {
      schema: {
        tags: ['transfers'],
        summary: 'Request a transfer: commands go to both stores (admin; Idempotency-Key honoured)',
        headers: IdempotencyHeaders,
        body: TransferBody,
        response: { 201: TransferSchema, ...writeErrors },
      },
    },
    async (request, reply) => {
      const { transfer, replayed } = await app.transfers.request(request.body, request.headers['idempotency-key']);
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(transferView(transfer));
    },
  );

  app.get(
    '/transfers',
    {
      schema: {
        tags: ['transfers'],
        summary: 'Transfers, newest first; storeId matches either end',
        querystring: ListQuery,
        response: { 200: Page(TransferSchema), ...readErrors },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const key = cursor ? decodeCursor(cursor, ['string', 'uuid'] as const) : undefined;
      const before = key ? { createdAt: new Date(key[0]), id: key[1] } : undefined;
      if (before && Number.isNaN(before.createdAt.getTime())) {
        throw new DomainError(ErrorCode.VALIDATION, 'querystring/cursor is not a valid cursor');
      }
      const rows = await transfers.list({ ...filter, before, limit: limit + 1 });
      return toPage(rows, limit, (r) => [r.createdAt.toISOString(), r.id], transferView);
    },
  );

  app.get(
    '/transfers/:id',
    {
      schema: {
        tags: ['transfers'],
        params: IdParams,
        response: { 200: TransferSchema, 404: ErrorSchema, ...readErrors },
      },
    },
    async (request) => transferView(await app.transfers.get(request.params.id)),
  );

  app.post(
    '/transfers/:id/cancel',
    {
      schema: {
        tags: ['transfers'],
        summary: 'Cancel before shipping (admin); 409 once shipped; repeating returns the cancelled transfer',
        params: IdParams,
        response: { 200: TransferSchema, ...writeErrors },
      },
    },
    async (request) => transferView(await app.transfers.cancel(request.params.id)),
  );
};
