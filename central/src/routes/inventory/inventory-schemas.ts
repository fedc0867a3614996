import { Type } from '@fastify/type-provider-typebox';
import type { StockRow } from '../../db/stock-repository';
import { DateTime, Nullable } from '../common-schemas';

export const InventoryItemSchema = Type.Object({
  storeId: Type.String(),
  sku: Type.String(),
  onHand: Type.Integer(),
  reserved: Type.Integer(),
  available: Type.Integer(),
  minStock: Nullable(Type.Integer()),
  /** available below the store's min stock. */
  lowStock: Type.Boolean(),
  version: Type.Integer(),
  updatedAt: DateTime,
});

export function inventoryItem(row: StockRow) {
  const available = row.onHand - row.reserved;
  return {
    storeId: row.storeId,
    sku: row.sku,
    onHand: row.onHand,
    reserved: row.reserved,
    available,
    minStock: row.minStock,
    lowStock: row.minStock !== null && available < row.minStock,
    version: row.version,
    updatedAt: row.updatedAt.toISOString(),
  };
}
