import { Type } from '@fastify/type-provider-typebox';
import type { AlertMessage } from '@stocksync/shared';
import type { AlertRow } from '../../db/alerts-repository';
import { Cursor, DateTime, Limit, Nullable, SkuParam, StoreIdParam } from '../common-schemas';

const AlertStatus = Type.Union([Type.Literal('open'), Type.Literal('resolved')]);

export const AlertsQuery = Type.Object(
  {
    status: Type.Optional(AlertStatus),
    storeId: Type.Optional(StoreIdParam),
    sku: Type.Optional(SkuParam),
    limit: Limit(500, 100),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const AlertsStreamQuery = Type.Object(
  { storeId: Type.Optional(StoreIdParam), sku: Type.Optional(SkuParam) },
  { additionalProperties: false },
);

export const AlertSchema = Type.Object({
  id: Type.String(),
  storeId: Type.String(),
  sku: Type.String(),
  status: AlertStatus,
  available: Type.Integer(),
  minStock: Type.Integer(),
  openedAt: DateTime,
  resolvedAt: Nullable(DateTime),
});

/** The same shape everywhere: HTTP list, SSE `alert` events and NATS `inv.alerts.<storeId>`. */
export function alertView(row: AlertRow): AlertMessage {
  return {
    id: String(row.id),
    storeId: row.storeId,
    sku: row.sku,
    status: row.status,
    available: row.available,
    minStock: row.minStock,
    openedAt: row.openedAt.toISOString(),
    resolvedAt: row.resolvedAt ? row.resolvedAt.toISOString() : null,
  };
}
