import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { idempotentWrite } from '../idempotent-write';
import { errors, IdempotencyHeaders, IdParams, writeErrors } from '../route-schemas';

const TransferView = Type.Object({
  id: Type.String(),
  sku: Type.String(),
  fromStoreId: Type.String(),
  toStoreId: Type.String(),
  qty: Type.Integer(),
  shippedQty: Type.Union([Type.Integer(), Type.Null()]),
  receivedQty: Type.Union([Type.Integer(), Type.Null()]),
  status: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
const DiscrepancyView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  sku: Type.String(),
  expected: Type.Integer(),
  actual: Type.Integer(),
  ref: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  resolvedAt: Type.Union([Type.String(), Type.Null()]),
});
const ReceiveBody = Type.Object(
  { receivedQty: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })) },
  { additionalProperties: false, examples: [{}, { receivedQty: 3 }] },
);

/** What the store has to ship or receive, and what it found missing. */
export const transferRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/transfers',
    {
      schema: { tags: ['transfers'], response: { 200: Type.Object({ items: Type.Array(TransferView) }), ...errors() } },
    },
    async () => ({ items: app.repos.transfers.list(500) }),
  );
  app.get(
    '/transfers/:id',
    { schema: { tags: ['transfers'], params: IdParams, response: { 200: TransferView, ...errors(404) } } },
    async (request) => app.transfers.get(request.params.id),
  );
  app.post(
    '/transfers/:id/ship',
    {
      schema: {
        tags: ['transfers'],
        summary: 'Source store: the goods leave (refused if not available); idempotent',
        headers: IdempotencyHeaders,
        params: IdParams,
        response: { 200: TransferView, ...writeErrors(404, 409) },
      },
    },
    async (request, reply) => idempotentWrite(app, request, reply, 200, () => app.transfers.ship(request.params.id)),
  );
  app.post(
    '/transfers/:id/receive',
    {
      schema: {
        tags: ['transfers'],
        summary: 'Target store: the goods arrive; less than shipped opens a discrepancy; idempotent',
        headers: IdempotencyHeaders,
        params: IdParams,
        body: ReceiveBody,
        response: { 200: TransferView, ...writeErrors(404, 409) },
      },
      // No body at all means "everything shipped arrived": validate it as an empty object.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) =>
      idempotentWrite(app, request, reply, 200, () =>
        app.transfers.receive(request.params.id, request.body.receivedQty),
      ),
  );
  app.get(
    '/discrepancies',
    {
      schema: {
        tags: ['stock'],
        summary: 'Open discrepancies: counts that left holds uncovered, transfers received short',
        response: { 200: Type.Object({ items: Type.Array(DiscrepancyView) }), ...errors() },
      },
    },
    async () => ({ items: app.repos.discrepancies.listOpen() }),
  );
};
