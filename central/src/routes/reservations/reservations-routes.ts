import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError, ErrorCode } from '@stocksync/shared';
import { createReservationsRepository } from '../../db/reservations-repository';
import { idForIdempotencyKey } from '../../domain/idempotent-id';
import { decodeCursor, ErrorSchema, IdempotencyHeaders, Page, readErrors, toPage } from '../common-schemas';
import {
  HoldBody,
  ReservationIdParams,
  ReservationListQuery,
  ReservationSchema,
  reservationView,
  writeErrors,
} from './reservation-schemas';

/** Online reservations (click & collect): CP, confirmed only once the owning store durably holds them. */
export const reservationsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { reservations } = app;
  const records = createReservationsRepository(app.db);

  app.post(
    '/reservations',
    {
      schema: {
        tags: ['reservations'],
        summary: 'Hold stock for an online order at a store (or let central pick one); Idempotency-Key honoured',
        headers: IdempotencyHeaders,
        body: HoldBody,
        response: { 201: ReservationSchema, ...writeErrors },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const id = key ? idForIdempotencyKey('reservation', key) : undefined;
      const { row, replayed } = await reservations.hold({ ...request.body, id });
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.status(201).send(reservationView(row));
    },
  );

  app.get(
    '/reservations',
    {
      schema: {
        tags: ['reservations'],
        summary: 'Online reservations, soonest expiry first (default: those still held)',
        querystring: ReservationListQuery,
        response: { 200: Page(ReservationSchema), ...readErrors },
      },
    },
    async (request) => {
      const { status = 'held', limit, cursor, ...filter } = request.query;
      const key = cursor ? decodeCursor(cursor, ['number', 'uuid'] as const) : undefined;
      const rows = await records.list({
        ...filter,
        status,
        after: key && { expiresAt: new Date(key[0]), id: key[1] },
        limit: limit + 1,
      });
      return toPage(rows, limit, (r) => [r.expiresAt.getTime(), r.id], reservationView);
    },
  );

  app.get(
    '/reservations/:id',
    {
      schema: {
        tags: ['reservations'],
        summary: 'One online reservation as central knows it',
        params: ReservationIdParams,
        response: { 200: ReservationSchema, ...readErrors, 404: ErrorSchema },
      },
    },
    async (request) => {
      const row = await reservations.get(request.params.id);
      if (!row) throw new DomainError(ErrorCode.NOT_FOUND, `Reservation ${request.params.id} not found`);
      return reservationView(row);
    },
  );

  for (const op of ['confirm', 'cancel'] as const) {
    app.post(
      `/reservations/:id/${op}`,
      {
        schema: {
          tags: ['reservations'],
          summary:
            op === 'confirm'
              ? 'Turn the hold into a sale at the store (idempotent; 409 once expired)'
              : 'Release the hold at the store (idempotent)',
          params: ReservationIdParams,
          response: { 200: ReservationSchema, ...writeErrors },
        },
      },
      async (request) => reservationView(await reservations[op](request.params.id)),
    );
  }
};
