import { type Static, Type } from '@sinclair/typebox';

export const EVENT_SCHEMA_VERSION = 1;

export const EVENT_TYPES = [
  'stock.received',
  'stock.sold',
  'stock.returned',
  'stock.adjusted',
  'transfer.shipped',
  'transfer.received',
  'reservation.held',
  'reservation.released',
  'reservation.expired',
  'reservation.confirmed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const SkuSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' });
export const StoreIdSchema = Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z0-9][a-z0-9-]*$' });
export const HashSchema = Type.String({ pattern: '^[0-9a-f]{64}$' });
export const UuidSchema = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });

/** The §4 envelope: one event per SKU change, hash-chained per store (§6b). */
export const StockEventSchema = Type.Object(
  {
    id: UuidSchema,
    schema: Type.Literal(EVENT_SCHEMA_VERSION),
    storeId: StoreIdSchema,
    seq: Type.Integer({ minimum: 1 }),
    type: Type.Union(EVENT_TYPES.map((t) => Type.Literal(t))),
    sku: SkuSchema,
    delta: Type.Integer(),
    reservedDelta: Type.Integer(),
    onHand: Type.Integer({ minimum: 0 }),
    reserved: Type.Integer({ minimum: 0 }),
    version: Type.Integer({ minimum: 1 }),
    occurredAt: Type.String({ format: 'date-time' }),
    ref: Type.Optional(Type.String({ maxLength: 128 })),
    reason: Type.Optional(Type.String({ maxLength: 200 })),
    prevHash: HashSchema,
    hash: HashSchema,
  },
  { additionalProperties: false, $id: 'StockEvent' },
);
export type StockEvent = Static<typeof StockEventSchema>;

/** A ledger row as store and central keep it (camelCase columns; no storeId, nulls for absent fields). */
export type LedgerEntry = {
  eventId: string;
  seq: number;
  type: string;
  sku: string;
  delta: number;
  reservedDelta: number;
  onHand: number;
  reserved: number;
  version: number;
  occurredAt: string;
  ref: string | null;
  reason: string | null;
  prevHash: string;
  hash: string;
};

/** The envelope a ledger row was sealed as: its hash recomputes from it (store and central ledgers). */
export function ledgerEntryToEvent(storeId: string, row: LedgerEntry): StockEvent {
  return {
    id: row.eventId,
    schema: 1,
    storeId,
    seq: row.seq,
    type: row.type as EventType,
    sku: row.sku,
    delta: row.delta,
    reservedDelta: row.reservedDelta,
    onHand: row.onHand,
    reserved: row.reserved,
    version: row.version,
    occurredAt: row.occurredAt,
    ...(row.ref !== null ? { ref: row.ref } : {}),
    ...(row.reason !== null ? { reason: row.reason } : {}),
    prevHash: row.prevHash,
    hash: row.hash,
  };
}
/** An event before it is chained: everything but the hash fields. */
export type UnchainedEvent = Omit<StockEvent, 'prevHash' | 'hash'>;
