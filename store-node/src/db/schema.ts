import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Local copy of the catalog (central owns it; the seed script or the catalog follower fills it). */
export const products = sqliteTable('products', {
  sku: text('sku').primaryKey(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  category: text('category').notNull().default(''),
  /** Exact decimal as text ("12.50"): money never touches a binary float. */
  price: text('price').notNull(),
  defaultMinStock: integer('default_min_stock').notNull().default(0),
  active: integer('active', { mode: 'boolean' }).notNull().default(true),
  updatedAt: text('updated_at').notNull(),
});

/** The store's truth for each SKU; `version` +1 per change, mirrored at central. */
export const stock = sqliteTable('stock', {
  sku: text('sku')
    .primaryKey()
    .references(() => products.sku),
  onHand: integer('on_hand').notNull().default(0),
  reserved: integer('reserved').notNull().default(0),
  /** Per-store override of the product's default minimum; null = use the product's. */
  minStock: integer('min_stock'),
  version: integer('version').notNull().default(0),
  /** Seq of the ledger event that set `version` (0: untouched): reconciliation judges a busy store by it. */
  lastSeq: integer('last_seq').notNull().default(0),
  updatedAt: text('updated_at').notNull(),
});

/** Every change, gapless `seq`, hash-chained (DESIGN §4, §6b). Never updated or deleted. */
export const ledger = sqliteTable(
  'ledger',
  {
    seq: integer('seq').primaryKey(),
    eventId: text('event_id').notNull().unique(),
    type: text('type').notNull(),
    sku: text('sku').notNull(),
    delta: integer('delta').notNull(),
    reservedDelta: integer('reserved_delta').notNull(),
    onHand: integer('on_hand').notNull(),
    reserved: integer('reserved').notNull(),
    version: integer('version').notNull(),
    occurredAt: text('occurred_at').notNull(),
    ref: text('ref'),
    reason: text('reason'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  // No secondary indexes but the event id: every index is another B-tree page dirtied per event
  // in the POS commit; history by SKU or ref is read at central, not on the store's hot path.
);

/**
 * Transactional outbox: the exact JSON published to JetStream. What is sent is a cursor
 * (sync_state.last_published_seq), not a per-row flag: rows are written once, draining is a primary-key
 * range read, and acknowledging a batch is one row update instead of one per event.
 */
export const outbox = sqliteTable('outbox', {
  seq: integer('seq').primaryKey(),
  eventId: text('event_id').notNull(),
  payload: text('payload').notNull(),
  createdAtMs: integer('created_at_ms').notNull(),
});

export const reservations = sqliteTable(
  'reservations',
  {
    id: text('id').primaryKey(),
    sku: text('sku')
      .notNull()
      .references(() => products.sku),
    qty: integer('qty').notNull(),
    /** held → confirmed | released | expired */
    status: text('status', { enum: ['held', 'confirmed', 'released', 'expired'] }).notNull(),
    source: text('source', { enum: ['pos', 'central'] }).notNull(),
    orderRef: text('order_ref'),
    expiresAtMs: integer('expires_at_ms').notNull(),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [index('reservations_held_expiry').on(t.expiresAtMs).where(sql`status = 'held'`)],
);

/** First answer to each `Idempotency-Key`, committed in the same transaction as its effect. */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    key: text('key').primaryKey(),
    requestHash: text('request_hash').notNull(),
    statusCode: integer('status_code').notNull(),
    response: text('response').notNull(),
    createdAtMs: integer('created_at_ms').notNull(),
  },
  (t) => [index('idempotency_created').on(t.createdAtMs)],
);

/** Local view of transfers this store ships or receives (commands from central). */
export const transfers = sqliteTable('transfers', {
  id: text('id').primaryKey(),
  sku: text('sku').notNull(),
  fromStoreId: text('from_store_id').notNull(),
  toStoreId: text('to_store_id').notNull(),
  qty: integer('qty').notNull(),
  shippedQty: integer('shipped_qty'),
  receivedQty: integer('received_qty'),
  status: text('status', { enum: ['requested', 'in_transit', 'received', 'cancelled'] }).notNull(),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
});

/** Shrinkage that leaves holds uncovered, short transfer receipts: recorded, never silent. */
export const discrepancies = sqliteTable('discrepancies', {
  id: text('id').primaryKey(),
  kind: text('kind', { enum: ['reservations_at_risk', 'transfer_short'] }).notNull(),
  sku: text('sku').notNull(),
  expected: integer('expected').notNull(),
  actual: integer('actual').notNull(),
  ref: text('ref'),
  createdAt: text('created_at').notNull(),
  resolvedAt: text('resolved_at'),
});

/** Small key/value state: last published seq and the like. */
export const syncState = sqliteTable('sync_state', {
  key: text('key').primaryKey(),
  value: integer('value').notNull(),
});
