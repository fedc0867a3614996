import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { decodeCursor, SkuSchema, toPage } from '@stocksync/shared';
import { toReservationView } from '../../domain/reservation-service';
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

const ListQuery = Type.Object(
  {
    status: Type.Optional(
      Type.Union([Type.Literal('held'), Type.Literal('confirmed'), Type.Literal('released'), Type.Literal('expired')], {
        default: 'held',
      }),
    ),
    source: Type.Optional(
      Type.Union([Type.Literal('pos'), Type.Literal('central')], {
        description: 'pos: held at a till; central: an online order (click & collect) to prepare',
      }),
    ),
    sku: Type.Optional(SkuSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    after: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);

/** POS holds for a customer; the store node expires them itself, offline too. */
export const reservationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/reservations',
    {
      schema: {
        tags: ['reservations'],
        summary: 'Holds at this store, soonest expiry first: the pick and collect list (works offline)',
        querystring: ListQuery,
        response: {
          200: Type.Object({
            items: Type.Array(ReservationView),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errors(),
        },
      },
    },
    async (request) => {
      const { status = 'held', source, sku, limit = 100, after } = request.query;
      const cursor = after ? decodeCursor(after, ['number', 'string'] as const, 'after') : undefined;
      const rows = app.repos.reservations.list({
        status,
        source,
        sku,
        after: cursor && { expiresAtMs: cursor[0], id: cursor[1] },
        limit: limit + 1,
      });
      return toPage(rows, limit, (r) => [r.expiresAtMs, r.id], toReservationView);
    },
  );

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
