import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

// Self-contained like schema.ts (drizzle-kit loads it through CommonJS).
const tz = { withTimezone: true, mode: 'date' } as const;

/** The catalog central owns. Price is NUMERIC (exact decimal, read back as a string). */
export const products = pgTable(
  'products',
  {
    sku: text('sku').primaryKey(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    category: text('category').notNull().default(''),
    price: numeric('price', { precision: 14, scale: 4 }).notNull(),
    defaultMinStock: integer('default_min_stock').notNull().default(0),
    active: boolean('active').notNull().default(true),
    /** +1 per change; the catalog publisher pushes rows whose version is ahead of published_version. */
    version: integer('version').notNull().default(1),
    publishedVersion: integer('published_version').notNull().default(0),
    createdAt: timestamp('created_at', tz).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', tz).notNull().defaultNow(),
  },
  (t) => [
    index('products_category_idx').on(t.category, t.sku),
    index('products_unpublished_idx').on(t.sku).where(sql`${t.version} > ${t.publishedVersion}`),
    check('products_price_chk', sql`${t.price} >= 0`),
  ],
);

/** Per-store minimum stock set at HQ (null = product default); published to the store settings bucket. */
export const storeSkuSettings = pgTable(
  'store_sku_settings',
  {
    storeId: text('store_id').notNull(),
    sku: text('sku').notNull(),
    minStock: integer('min_stock'),
    version: integer('version').notNull().default(1),
    publishedVersion: integer('published_version').notNull().default(0),
    updatedAt: timestamp('updated_at', tz).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('store_sku_settings_pk').on(t.storeId, t.sku)],
);

export const TRANSFER_STATUSES = ['requested', 'in_transit', 'received', 'cancelled'] as const;

export const transfers = pgTable(
  'transfers',
  {
    id: uuid('id').primaryKey(),
    sku: text('sku').notNull(),
    fromStoreId: text('from_store_id').notNull(),
    toStoreId: text('to_store_id').notNull(),
    qty: integer('qty').notNull(),
    shippedQty: integer('shipped_qty'),
    receivedQty: integer('received_qty'),
    status: text('status', { enum: TRANSFER_STATUSES }).notNull(),
    createdAt: timestamp('created_at', tz).notNull().defaultNow(),
    shippedAt: timestamp('shipped_at', tz),
    receivedAt: timestamp('received_at', tz),
    cancelledAt: timestamp('cancelled_at', tz),
    updatedAt: timestamp('updated_at', tz).notNull().defaultNow(),
  },
  (t) => [
    index('transfers_status_idx').on(t.status, t.createdAt),
    index('transfers_sku_idx').on(t.sku, t.status),
    check('transfers_qty_chk', sql`${t.qty} > 0 and ${t.fromStoreId} <> ${t.toStoreId}`),
  ],
);

/**
 * Commands to stores, written in the same transaction as the state change that causes them and
 * published to INV_COMMANDS by a relay (msgID = id), so a crash between commit and publish loses none.
 */
export const commandOutbox = pgTable(
  'command_outbox',
  {
    id: uuid('id').primaryKey(),
    storeId: text('store_id').notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: timestamp('created_at', tz).notNull().defaultNow(),
    publishedAt: timestamp('published_at', tz),
  },
  (t) => [index('command_outbox_unpublished_idx').on(t.createdAt).where(sql`${t.publishedAt} is null`)],
);

export const DISCREPANCY_KINDS = [
  'transfer_short',
  'transfer_conflict',
  'reservations_at_risk',
  'projection_drift',
] as const;

/**
 * Shortfalls HQ must look at: a transfer received short, a shipment that raced a cancel, uncovered holds,
 * and central's projection found different from the store's by reconciliation (expected = the store's
 * onHand, actual = central's before the repair).
 */
export const discrepancies = pgTable(
  'discrepancies',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    kind: text('kind', { enum: DISCREPANCY_KINDS }).notNull(),
    storeId: text('store_id').notNull(),
    sku: text('sku').notNull(),
    expected: integer('expected').notNull(),
    actual: integer('actual').notNull(),
    ref: text('ref'),
    createdAt: timestamp('created_at', tz).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', tz),
    resolution: text('resolution'),
  },
  (t) => [
    uniqueIndex('discrepancies_dedup_uq').on(t.kind, t.storeId, t.sku, t.ref),
    index('discrepancies_open_idx').on(t.createdAt).where(sql`${t.resolvedAt} is null`),
  ],
);

export const RESERVATION_STATUSES = ['held', 'confirmed', 'released', 'expired'] as const;

/** Online reservations confirmed by their store (CP): a row exists only once the store holds it. */
export const reservations = pgTable(
  'reservations',
  {
    id: uuid('id').primaryKey(),
    storeId: text('store_id').notNull(),
    sku: text('sku').notNull(),
    qty: integer('qty').notNull(),
    status: text('status', { enum: RESERVATION_STATUSES }).notNull(),
    orderRef: text('order_ref').notNull(),
    expiresAt: timestamp('expires_at', tz).notNull(),
    createdAt: timestamp('created_at', tz).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', tz).notNull().defaultNow(),
  },
  (t) => [
    index('reservations_store_sku_idx').on(t.storeId, t.sku, t.status),
    index('reservations_order_idx').on(t.orderRef),
    index('reservations_status_expiry_idx').on(t.status, t.expiresAt, t.id),
  ],
);

/**
 * Every hold central asks a store for, written before the request leaves and settled once central
 * has recorded the reservation or the store has confirmed it holds nothing under this id. An
 * unsettled attempt is a hold that may exist at the store without a central record (no answer, a
 * crash, a failed insert): the sweeper releases it there, so nothing stays held after a failure answer.
 */
export const reservationAttempts = pgTable(
  'reservation_attempts',
  {
    reservationId: uuid('reservation_id').notNull(),
    storeId: text('store_id').notNull(),
    sku: text('sku').notNull(),
    createdAt: timestamp('created_at', tz).notNull().defaultNow(),
    tries: integer('tries').notNull().default(0),
    nextTryAt: timestamp('next_try_at', tz).notNull().defaultNow(),
    settledAt: timestamp('settled_at', tz),
  },
  (t) => [
    primaryKey({ columns: [t.reservationId, t.storeId] }),
    index('reservation_attempts_unsettled_idx').on(t.nextTryAt).where(sql`${t.settledAt} is null`),
  ],
);

export const ALERT_STATUSES = ['open', 'resolved'] as const;

/** Low-stock alerts: one open row per (store, sku) crossing below its minimum, resolved when it recovers. */
export const alerts = pgTable(
  'alerts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    storeId: text('store_id').notNull(),
    sku: text('sku').notNull(),
    status: text('status', { enum: ALERT_STATUSES }).notNull(),
    available: integer('available').notNull(),
    minStock: integer('min_stock').notNull(),
    openedAt: timestamp('opened_at', tz).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', tz),
  },
  (t) => [
    uniqueIndex('alerts_one_open_uq').on(t.storeId, t.sku).where(sql`${t.status} = 'open'`),
    index('alerts_status_idx').on(t.status, t.id),
  ],
);

export const hqSchema = {
  products,
  storeSkuSettings,
  transfers,
  commandOutbox,
  discrepancies,
  reservations,
  reservationAttempts,
  alerts,
};
