import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { SkuSchema } from '@stocksync/shared';
import { idempotentWrite } from '../idempotent-write';
import { errors, IdempotencyHeaders, IdParams, Qty, Ref, ReservationView, writeErrors } from '../route-schemas';

export const MAX_TTL_SECONDS = 14 * 24 * 3600;

const HoldBody = Type.Object(
  {
    sku: SkuSchema,
    qty: Qty,
    ttlSeconds: Type.Integer({ minimum: 1, maximum: MAX_TTL_SECONDS }),
    orderRef: Type.Optional(Ref),
  },
  {
    additionalProperties: false,
    examples: [{ sku: 'GRO-001', qty: 1, ttlSeconds: 3600, orderRef: 'phone-anna-0815' }],
  },
);

/** POS holds for a customer; the store node expires them itself, offline too. */
export const reservationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/reservations',
    {
      schema: {
        tags: ['reservations'],
        headers: IdempotencyHeaders,
        body: HoldBody,
        response: { 201: ReservationView, ...writeErrors(404, 409) },
      },
    },
    async (request, reply) =>
      idempotentWrite(app, request, reply, 201, () => app.reservations.hold({ ...request.body, source: 'pos' })),
  );

  app.get(
    '/reservations/:id',
    { schema: { tags: ['reservations'], params: IdParams, response: { 200: ReservationView, ...errors(404) } } },
    async (request) => app.reservations.get(request.params.id),
  );

  for (const action of ['confirm', 'cancel'] as const) {
    app.post(
      `/reservations/:id/${action}`,
      {
        schema: {
          tags: ['reservations'],
          summary: action === 'confirm' ? 'Turn the hold into a sale (idempotent)' : 'Release the hold (idempotent)',
          headers: IdempotencyHeaders,
          params: IdParams,
          response: { 200: ReservationView, ...writeErrors(404, 409) },
        },
      },
      async (request, reply) =>
        idempotentWrite(app, request, reply, 200, () => app.reservations[action](request.params.id)),
    );
  }
};
