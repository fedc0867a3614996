import { type Static, Type } from '@sinclair/typebox';
import { SkuSchema, StoreIdSchema, UuidSchema } from './events';

/** Money as an exact decimal string ("12.50"): never a binary float. */
export const PriceSchema = Type.String({ pattern: '^(0|[1-9][0-9]{0,9})(\\.[0-9]{1,4})?$' });

/**
 * Catalog entry as central writes it to the catalog KV bucket (key = SKU). Stores watch the bucket,
 * so one that was offline gets the latest value of every key when it reconnects.
 */
export const CatalogProductSchema = Type.Object(
  {
    sku: SkuSchema,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.String({ maxLength: 2000 }),
    category: Type.String({ maxLength: 64 }),
    price: PriceSchema,
    defaultMinStock: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    active: Type.Boolean(),
    updatedAt: Type.String(),
  },
  { additionalProperties: false },
);
export type CatalogProduct = Static<typeof CatalogProductSchema>;

/** Per-store settings KV bucket, key `<storeId>.<sku>`: the store's own minimum (null = product default). */
export const StoreSkuSettingsSchema = Type.Object(
  { minStock: Type.Union([Type.Integer({ minimum: 0, maximum: 1_000_000 }), Type.Null()]), updatedAt: Type.String() },
  { additionalProperties: false },
);
export type StoreSkuSettings = Static<typeof StoreSkuSettingsSchema>;
export const storeSettingsKey = (storeId: string, sku: string) => `${storeId}.${sku}`;

const TransferFields = {
  id: UuidSchema,
  transferId: UuidSchema,
  sku: SkuSchema,
  qty: Type.Integer({ minimum: 1 }),
  fromStoreId: StoreIdSchema,
  toStoreId: StoreIdSchema,
  issuedAt: Type.String(),
};

/**
 * Central → store commands on the INV_COMMANDS stream (`inv.commands.<storeId>`, one durable
 * consumer per store, so an offline store gets them later). `id` makes redelivery harmless.
 */
export const StoreCommandSchema = Type.Union([
  /** To the source store (ship it) and the target store (expect it). */
  Type.Object({ type: Type.Literal('transfer.requested'), ...TransferFields }, { additionalProperties: false }),
  /** To the target store once the source shipped: `qty` is what left the source. */
  Type.Object({ type: Type.Literal('transfer.in_transit'), ...TransferFields }, { additionalProperties: false }),
  /** To the source store once the target received: its view of the transfer closes with what arrived. */
  Type.Object(
    {
      type: Type.Literal('transfer.received'),
      id: UuidSchema,
      transferId: UuidSchema,
      receivedQty: Type.Integer({ minimum: 0 }),
      issuedAt: Type.String(),
    },
    { additionalProperties: false },
  ),
  /**
   * To both stores; refused by a source that already shipped. It carries the transfer (optional: older
   * centrals did not) so a store that has not seen the request keeps a cancelled record of it, and a
   * request arriving after its cancel (any reorder) finds the transfer cancelled instead of opening it.
   */
  Type.Object(
    {
      type: Type.Literal('transfer.cancelled'),
      id: UuidSchema,
      transferId: UuidSchema,
      issuedAt: Type.String(),
      sku: Type.Optional(TransferFields.sku),
      qty: Type.Optional(TransferFields.qty),
      fromStoreId: Type.Optional(TransferFields.fromStoreId),
      toStoreId: Type.Optional(TransferFields.toStoreId),
    },
    { additionalProperties: false },
  ),
]);
export type StoreCommand = Static<typeof StoreCommandSchema>;

/** One hold central asks a store for; the id is central's, so a retried request finds its hold. */
export const ReserveHoldSchema = Type.Object(
  {
    reservationId: UuidSchema,
    sku: SkuSchema,
    qty: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    ttlSeconds: Type.Integer({ minimum: 1, maximum: 14 * 24 * 3600 }),
    orderRef: Type.Optional(Type.String({ maxLength: 128 })),
  },
  { additionalProperties: false },
);
export type ReserveHold = Static<typeof ReserveHoldSchema>;

/** Most holds one request carries (also the largest batch central drains from one (store, SKU) queue). */
export const MAX_HOLDS_PER_REQUEST = 128;

/**
 * Central → store, core request/reply on `inv.rpc.<storeId>.reserve` (CP online reservations, §3).
 * `holds` carries the holds central has ready for one store (each (store, SKU) batch under its own
 * lock); the store records them in one group commit and answers each on its own (`ReserveHoldsReply`).
 */
export const ReserveRequestSchema = Type.Union([
  Type.Object(
    {
      op: Type.Literal('holds'),
      holds: Type.Array(ReserveHoldSchema, { minItems: 1, maxItems: MAX_HOLDS_PER_REQUEST }),
    },
    { additionalProperties: false },
  ),
  Type.Object({ op: Type.Literal('confirm'), reservationId: UuidSchema }, { additionalProperties: false }),
  Type.Object({ op: Type.Literal('cancel'), reservationId: UuidSchema }, { additionalProperties: false }),
]);
export type ReserveRequest = Static<typeof ReserveRequestSchema>;

export const ReservationStatusSchema = Type.Union([
  Type.Literal('held'),
  Type.Literal('confirmed'),
  Type.Literal('released'),
  Type.Literal('expired'),
]);

const ReserveRefusalSchema = Type.Object({ ok: Type.Literal(false), code: Type.String(), message: Type.String() });

/** The store answers only after the hold is durably recorded (the write queue's fsync). */
export const ReserveReplySchema = Type.Union([
  Type.Object({
    ok: Type.Literal(true),
    reservation: Type.Object({
      id: Type.String(),
      sku: Type.String(),
      qty: Type.Integer(),
      status: ReservationStatusSchema,
      expiresAt: Type.String(),
    }),
  }),
  ReserveRefusalSchema,
]);
export type ReserveReply = Static<typeof ReserveReplySchema>;

/** Answer to `holds`: one reply per hold, in request order; a refusal of the whole request (malformed). */
export const ReserveHoldsReplySchema = Type.Union([
  Type.Object({ ok: Type.Literal(true), results: Type.Array(ReserveReplySchema) }),
  ReserveRefusalSchema,
]);
export type ReserveHoldsReply = Static<typeof ReserveHoldsReplySchema>;

/** Low-stock alert as published on `inv.alerts.<storeId>` and streamed over SSE. */
export const AlertMessageSchema = Type.Object({
  id: Type.String(),
  storeId: Type.String(),
  sku: Type.String(),
  status: Type.Union([Type.Literal('open'), Type.Literal('resolved')]),
  available: Type.Integer(),
  minStock: Type.Integer(),
  openedAt: Type.String(),
  resolvedAt: Type.Union([Type.String(), Type.Null()]),
});
export type AlertMessage = Static<typeof AlertMessageSchema>;
