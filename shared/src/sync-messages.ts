import { type Static, Type } from '@sinclair/typebox';
import { SkuSchema } from './events';

/** Central → store: "publish your events again from `fromSeq`" (gap repair, §6b). Reply: ResendReply. */
export const ResendRequestSchema = Type.Object(
  { fromSeq: Type.Integer({ minimum: 1 }), toSeq: Type.Optional(Type.Integer({ minimum: 1 })) },
  { additionalProperties: false },
);
export type ResendRequest = Static<typeof ResendRequestSchema>;
export const ResendReplySchema = Type.Object({ republished: Type.Integer(), lastSeq: Type.Integer() });
export type ResendReply = Static<typeof ResendReplySchema>;

/** Central → store: the store's current per-SKU state for reconciliation (§6b). */
export const StoreStateReplySchema = Type.Object({
  lastSeq: Type.Integer(),
  stock: Type.Array(
    Type.Object({ sku: SkuSchema, onHand: Type.Integer(), reserved: Type.Integer(), version: Type.Integer() }),
  ),
});
export type StoreStateReply = Static<typeof StoreStateReplySchema>;

/** Store → central over core NATS every few seconds (and on reconnect). */
export const HeartbeatSchema = Type.Object({
  storeId: Type.String(),
  sentAt: Type.String(),
  lastSeq: Type.Integer(),
  lastPublishedSeq: Type.Integer(),
  pending: Type.Integer(),
  oldestPendingAgeMs: Type.Integer(),
});
export type Heartbeat = Static<typeof HeartbeatSchema>;
