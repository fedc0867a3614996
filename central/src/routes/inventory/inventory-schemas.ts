import { Type } from '@fastify/type-provider-typebox';
import type { InventoryRow } from '../../db/stock-repository';
import { DateTime, Nullable } from '../common-schemas';

export const InventoryItemSchema = Type.Object({
  storeId: Type.String(),
  sku: Type.String(),
  onHand: Type.Integer(),
  reserved: Type.Integer(),
  available: Type.Integer(),
  minStock: Nullable(Type.Integer({ description: "the store's minimum, else the product's default" })),
  /** available below that minimum, for a product still sold: what opens a low-stock alert. */
  lowStock: Type.Boolean(),
  version: Type.Integer(),
  updatedAt: DateTime,
});

export function inventoryItem(row: InventoryRow) {
  const available = row.onHand - row.reserved;
  return {
    storeId: row.storeId,
    sku: row.sku,
    onHand: row.onHand,
    reserved: row.reserved,
    available,
    minStock: row.effectiveMinStock,
    lowStock: row.productActive && available < row.effectiveMinStock,
    version: row.version,
    updatedAt: row.updatedAt.toISOString(),
  };
}
