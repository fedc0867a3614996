import { type Static, Type } from '@sinclair/typebox';
import { SkuSchema, UuidSchema } from '@stocksync/shared';
import { ErrorResponse } from '@stocksync/shared/service';

export const MAX_LINE_QTY = 1_000_000;
export const Qty = Type.Integer({ minimum: 1, maximum: MAX_LINE_QTY, description: 'Units, a positive integer' });
export const Line = Type.Object({ sku: SkuSchema, qty: Qty }, { additionalProperties: false });
export const Lines = Type.Array(Line, { minItems: 1, maxItems: 200 });
export const Ref = Type.String({ minLength: 1, maxLength: 128 });

export const IdParams = Type.Object({ id: UuidSchema }, { additionalProperties: false });
export const SkuParams = Type.Object({ sku: SkuSchema }, { additionalProperties: false });

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
});
export type IdempotencyHeaders = Static<typeof IdempotencyHeaders>;

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  after: Type.Optional(SkuSchema),
};

export const StockView = Type.Object({
  sku: Type.String(),
  onHand: Type.Integer(),
  reserved: Type.Integer(),
  available: Type.Integer(),
  minStock: Type.Integer(),
  version: Type.Integer(),
  low: Type.Boolean({ description: 'available is below minStock' }),
});

export const LineResult = Type.Object({
  sku: Type.String(),
  qty: Type.Integer(),
  onHand: Type.Integer(),
  reserved: Type.Integer(),
  available: Type.Integer(),
  version: Type.Integer(),
});

export const ReservationView = Type.Object({
  id: Type.String(),
  sku: Type.String(),
  qty: Type.Integer(),
  status: Type.Union([
    Type.Literal('held'),
    Type.Literal('confirmed'),
    Type.Literal('released'),
    Type.Literal('expired'),
  ]),
  source: Type.Union([Type.Literal('pos'), Type.Literal('central')]),
  orderRef: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

/** Error responses a route may give, by status. */
export function errors(...statuses: number[]) {
  return Object.fromEntries([400, 401, ...statuses].map((s) => [s, ErrorResponse]));
}

/**
 * A stock change's error responses: besides its own, every one may be refused whole with 503
 * (STORE_BEHIND_CENTRAL, SHUTTING_DOWN, DEPENDENCY_UNAVAILABLE: another program holds the file) or
 * 507 (STORAGE_FULL: the disk is full), recording nothing.
 */
export function writeErrors(...statuses: number[]) {
  return errors(...statuses, 503, 507);
}
