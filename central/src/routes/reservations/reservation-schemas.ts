import { Type } from '@fastify/type-provider-typebox';
import { UuidSchema } from '@stocksync/shared';
import type { ReservationRow } from '../../db/reservations-repository';
import { Cursor, DateTime, ErrorSchema, Limit, readErrors, SkuParam, StoreIdParam } from '../common-schemas';

export const HoldBody = Type.Object(
  {
    sku: SkuParam,
    qty: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    storeId: Type.Optional(StoreIdParam),
    ttlSeconds: Type.Integer({ minimum: 1, maximum: 14 * 24 * 3600 }),
    orderRef: Type.String({ minLength: 1, maxLength: 128 }),
  },
  {
    additionalProperties: false,
    examples: [
      { sku: 'ELE-004', qty: 1, storeId: 's2', ttlSeconds: 7200, orderRef: 'web-100042' },
      { sku: 'ELE-004', qty: 2, ttlSeconds: 3600, orderRef: 'web-100043' },
    ],
  },
);

export const ReservationIdParams = Type.Object({ id: UuidSchema }, { additionalProperties: false });

export const ReservationStatusSchema = Type.Union([
  Type.Literal('held'),
  Type.Literal('confirmed'),
  Type.Literal('released'),
  Type.Literal('expired'),
]);

export const ReservationListQuery = Type.Object(
  {
    status: Type.Optional({ ...ReservationStatusSchema, default: 'held' }),
    storeId: Type.Optional(StoreIdParam),
    sku: Type.Optional(SkuParam),
    orderRef: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    limit: Limit(500, 100),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const ReservationSchema = Type.Object({
  id: Type.String(),
  storeId: Type.String(),
  sku: Type.String(),
  qty: Type.Integer(),
  status: ReservationStatusSchema,
  orderRef: Type.String(),
  expiresAt: DateTime,
  createdAt: DateTime,
  updatedAt: DateTime,
});

/** Statuses a reservation write can answer besides success. */
export const writeErrors = { ...readErrors, 404: ErrorSchema, 409: ErrorSchema, 503: ErrorSchema } as const;

export function reservationView(row: ReservationRow) {
  return {
    id: row.id,
    storeId: row.storeId,
    sku: row.sku,
    qty: row.qty,
    status: row.status,
    orderRef: row.orderRef,
    expiresAt: row.expiresAt.toISOString(),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
