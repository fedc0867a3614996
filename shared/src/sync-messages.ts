import { createHash } from 'node:crypto';
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

/**
 * Central → store: the store's state for reconciliation (§6b). `limit` 0 asks for the summary: the
 * store's lastSeq and the checksum of ALL its SKU states at that seq (one snapshot). A page (`limit`
 * SKU states after `afterSku`) carries the lastSeq of its own snapshot and no checksum: hashing the whole
 * table for every page had cost a 50,000-SKU store 150–175 ms of its POS thread per page.
 */
export const StoreStateRequestSchema = Type.Object(
  {
    afterSku: Type.Optional(SkuSchema),
    limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_000 })),
  },
  { additionalProperties: false },
);
export type StoreStateRequest = Static<typeof StoreStateRequestSchema>;

export const SkuStateSchema = Type.Object({
  sku: SkuSchema,
  onHand: Type.Integer(),
  reserved: Type.Integer(),
  version: Type.Integer(),
});
export type SkuState = Static<typeof SkuStateSchema>;

/**
 * A page item: the state and the seq of the event that left it (0: untouched; absent from a store that
 * predates it). With it central judges a SKU whose event it has applied even while later ones of the
 * store are still on their way, so a busy store is reconciled too.
 */
export const StoreSkuStateSchema = Type.Composite([
  SkuStateSchema,
  Type.Object({ seq: Type.Optional(Type.Integer({ minimum: 0 })) }),
]);
export type StoreSkuState = Static<typeof StoreSkuStateSchema>;

export const StoreStateReplySchema = Type.Object({
  lastSeq: Type.Integer(),
  /** On the summary (limit 0) only: SKUs that count (see stateChecksum), and their checksum. */
  skuCount: Type.Optional(Type.Integer()),
  checksum: Type.Optional(Type.String()),
  stock: Type.Array(StoreSkuStateSchema),
  /** Pass as afterSku for the next page; null after the last SKU. */
  nextAfterSku: Type.Union([SkuSchema, Type.Null()]),
});
export type StoreStateReply = Static<typeof StoreStateReplySchema>;

/** A SKU no event ever touched (version 0, nothing on hand or held): central has no row for it, by design. */
export const isUntouched = (s: SkuState): boolean => s.version === 0 && s.onHand === 0 && s.reserved === 0;

/**
 * SHA-256 of every touched SKU's `sku onHand reserved version`, in SKU order (SKUs are ASCII, so
 * JavaScript's, SQLite's and PostgreSQL's "C" orders agree). Store and central compute it the same way
 * over their own rows; equal checksums at equal seqs mean equal projections.
 */
export function stateChecksum(states: Iterable<SkuState>): { checksum: string; skuCount: number } {
  const hasher = createStateHasher();
  for (const s of [...states].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0))) hasher.add(s);
  return hasher.result();
}

/** stateChecksum fed state by state, already in SKU order (a store hashes its table in chunks). */
export function createStateHasher() {
  const hash = createHash('sha256');
  let skuCount = 0;
  return {
    add(s: SkuState): void {
      if (isUntouched(s)) return;
      hash.update(`${s.sku} ${s.onHand} ${s.reserved} ${s.version}\n`);
      skuCount++;
    },
    result: (): { checksum: string; skuCount: number } => ({ checksum: hash.digest('hex'), skuCount }),
  };
}

/** Store → central over core NATS every few seconds (and on reconnect). */
export const HeartbeatSchema = Type.Object({
  storeId: Type.String(),
  sentAt: Type.String(),
  lastSeq: Type.Integer(),
  lastPublishedSeq: Type.Integer(),
  pending: Type.Integer(),
  oldestPendingAgeMs: Type.Integer(),
  /** The store found its file behind central's cursor (HeartbeatReply) and refuses stock changes. */
  behindCentral: Type.Optional(Type.Boolean()),
  /** Stock changes fail for a full disk (507 STORAGE_FULL) until space is freed. */
  storageFull: Type.Optional(Type.Boolean()),
  /** Free bytes on the store's data disk (absent when its file system cannot say). */
  diskFreeBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  /**
   * The store's clock minus central's, in ms, as the store measured it from its last answered heartbeat
   * (± half that round trip): its `occurredAt`s are off by this much in central's lag figures.
   */
  clockOffsetMs: Type.Optional(Type.Integer()),
  /**
   * The longest fsync of the store's WAL since its previous heartbeat, in ms, one still in flight counted
   * by its age (absent when none ran): every answered POS write waits for one, so a failing disk shows
   * here before the sales it slows are noticed.
   */
  slowestWalFsyncMs: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type Heartbeat = Static<typeof HeartbeatSchema>;

/**
 * Central's answer to a heartbeat sent as a request: the seq up to which it applied this store's events.
 * More than the store's own head means the store's file went back in time (restored from a backup, or a
 * new file for an existing store): its next event would reuse a seq central holds. `centralTime` (central's
 * clock as it answered) lets the store measure how far its own clock is off.
 */
export const HeartbeatReplySchema = Type.Object({
  lastSeq: Type.Integer({ minimum: 0 }),
  centralTime: Type.Optional(Type.String()),
});
export type HeartbeatReply = Static<typeof HeartbeatReplySchema>;
