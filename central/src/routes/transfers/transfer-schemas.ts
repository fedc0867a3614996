import { Type } from '@fastify/type-provider-typebox';
import { TRANSFER_STATUSES } from '../../db/schema';
import type { TransferRow } from '../../db/transfers-repository';
import { DateTime, iso, Nullable } from '../common-schemas';

export const TransferStatusSchema = Type.Union(TRANSFER_STATUSES.map((s) => Type.Literal(s)));

export const TransferSchema = Type.Object({
  id: Type.String(),
  sku: Type.String(),
  fromStoreId: Type.String(),
  toStoreId: Type.String(),
  qty: Type.Integer(),
  shippedQty: Nullable(Type.Integer()),
  receivedQty: Nullable(Type.Integer()),
  status: TransferStatusSchema,
  createdAt: DateTime,
  shippedAt: Nullable(DateTime),
  receivedAt: Nullable(DateTime),
  cancelledAt: Nullable(DateTime),
  updatedAt: DateTime,
});

export function transferView(row: TransferRow) {
  return {
    id: row.id,
    sku: row.sku,
    fromStoreId: row.fromStoreId,
    toStoreId: row.toStoreId,
    qty: row.qty,
    shippedQty: row.shippedQty,
    receivedQty: row.receivedQty,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    shippedAt: iso(row.shippedAt),
    receivedAt: iso(row.receivedAt),
    cancelledAt: iso(row.cancelledAt),
    updatedAt: row.updatedAt.toISOString(),
  };
}
