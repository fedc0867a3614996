import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { hqSchema } from './hq-schema';

export * from './hq-schema';

// Self-contained (no @stocksync/shared import): drizzle-kit loads this file through CommonJS.
/** The prevHash of a store's first event (shared GENESIS_HASH). */
const GENESIS_HASH = '0'.repeat(64);
const tz = { withTimezone: true, mode: 'date' } as const;
/** Sequence numbers and ids stay far below 2^53, so plain JS numbers are safe. */
const seqNumber = { mode: 'number' } as const;

export const CHAIN_STATUSES = ['ok', 'broken'] as const;
export type ChainStatus = (typeof CHAIN_STATUSES)[number];

/** One row per store node: its apply cursor (last contiguous applied seq + hash) and sync health. */
/**
 * match: central's projection equalled the store's; repaired: it did not, and central took the store's
 * state (a discrepancy records each SKU); diverged: central is ahead of the store for some SKU, which
 * only HQ can settle (a restored store, a fork), so nothing was changed.
 */
export const RECONCILE_RESULTS = ['match', 'repaired', 'diverged', 'in_flight'] as const;

export const stores = pgTable(
  'stores',
  {
    storeId: text('store_id').primaryKey(),
    lastSeq: bigint('last_seq', seqNumber).notNull().default(0),
    lastHash: text('last_hash').notNull().default(GENESIS_HASH),
    lastEventAt: timestamp('last_event_at', tz),
    lastAppliedAt: timestamp('last_applied_at', tz),
    lastContactAt: timestamp('last_contact_at', tz),
    reportedLastSeq: bigint('reported_last_seq', seqNumber),
    reportedPending: integer('reported_pending'),
    reportedOldestPendingAgeMs: bigint('reported_oldest_pending_age_ms', seqNumber),
    /** The store's last heartbeat said its file is behind this cursor (restored from a backup). */
    reportedBehindCentral: boolean('reported_behind_central').notNull().default(false),
    /** The store's last heartbeat said its disk is full: it refuses stock changes (507 STORAGE_FULL). */
    reportedStorageFull: boolean('reported_storage_full').notNull().default(false),
    /** Free bytes on the store's data disk at its last heartbeat. */
    reportedDiskFreeBytes: bigint('reported_disk_free_bytes', { mode: 'number' }),
    /** The store's clock minus central's at its last heartbeat that carried one (the store measures it). */
    reportedClockOffsetMs: bigint('reported_clock_offset_ms', { mode: 'number' }),
    /** The longest WAL fsync the store had since its previous heartbeat (null: none ran, or not reported). */
    reportedSlowestWalFsyncMs: integer('reported_slowest_wal_fsync_ms'),
    /** Rows in event_buffer beyond last_seq, kept in the apply transaction: 0 lets apply skip the lookup. */
    bufferedEvents: integer('buffered_events').notNull().default(0),
    chainStatus: text('chain_status', { enum: CHAIN_STATUSES }).notNull().default('ok'),
    createdAt: timestamp('created_at', tz).notNull().defaultNow(),
    /** The last reconciliation that could compare (the store answered at central's own seq). */
    lastReconciledAt: timestamp('last_reconciled_at', tz),
    reconcileResult: text('reconcile_result', { enum: RECONCILE_RESULTS }),
  },
  (t) => [check('stores_chain_status_chk', sql`${t.chainStatus} in ('ok', 'broken')`)],
);

/** Central's projection of every store's stock; only ever moved forward by version (compare-and-set). */
export const stock = pgTable(
  'stock',
  {
    storeId: text('store_id').notNull(),
    sku: text('sku').notNull(),
    onHand: integer('on_hand').notNull(),
    reserved: integer('reserved').notNull(),
    version: integer('version').notNull(),
    minStock: integer('min_stock'),
    updatedAt: timestamp('updated_at', tz).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.storeId, t.sku] }),
    index('stock_sku_idx').on(t.sku, t.storeId),
    check('stock_non_negative_chk', sql`${t.onHand} >= 0 and ${t.reserved} >= 0`),
  ],
);

/** Every applied store event exactly once; `id` orders and paginates movements. */
export const ledger = pgTable(
  'ledger',
  {
    id: bigserial('id', seqNumber).primaryKey(),
    eventId: uuid('event_id').notNull(),
    storeId: text('store_id').notNull(),
    seq: bigint('seq', seqNumber).notNull(),
    type: text('type').notNull(),
    sku: text('sku').notNull(),
    delta: integer('delta').notNull(),
    reservedDelta: integer('reserved_delta').notNull(),
    onHand: integer('on_hand').notNull(),
    reserved: integer('reserved').notNull(),
    version: integer('version').notNull(),
    occurredAt: timestamp('occurred_at', tz).notNull(),
    ref: text('ref'),
    reason: text('reason'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
    appliedAt: timestamp('applied_at', tz).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('ledger_event_id_uq').on(t.eventId),
    uniqueIndex('ledger_store_seq_uq').on(t.storeId, t.seq),
    index('ledger_store_sku_id_idx').on(t.storeId, t.sku, t.id),
    index('ledger_sku_id_idx').on(t.sku, t.id),
  ],
);

/** Events that arrived ahead of a gap in their store's seq; applied once the gap is filled. */
export const eventBuffer = pgTable(
  'event_buffer',
  {
    storeId: text('store_id').notNull(),
    seq: bigint('seq', seqNumber).notNull(),
    payload: jsonb('payload').notNull(),
    receivedAt: timestamp('received_at', tz).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.storeId, t.seq] })],
);

export const BREAK_REASONS = [
  'hash-mismatch',
  'prev-hash-mismatch',
  'fork',
  'invalid-payload',
  'subject-mismatch',
] as const;
export type BreakReason = (typeof BREAK_REASONS)[number];

/** Evidence of loss, replay, tampering or garbage (DESIGN §6b); kept until an operator resolves it. */
export const chainBreaks = pgTable(
  'chain_breaks',
  {
    id: bigserial('id', seqNumber).primaryKey(),
    storeId: text('store_id').notNull(),
    seq: bigint('seq', seqNumber),
    reason: text('reason', { enum: BREAK_REASONS }).notNull(),
    eventId: text('event_id'),
    eventHash: text('event_hash'),
    detail: text('detail'),
    payload: jsonb('payload'),
    detectedAt: timestamp('detected_at', tz).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', tz),
  },
  (t) => [
    // A redelivered or resent bad event must not pile up duplicate records.
    uniqueIndex('chain_breaks_dedup_uq').on(t.storeId, t.seq, t.reason, t.eventHash),
    index('chain_breaks_store_idx').on(t.storeId, t.id),
  ],
);

export const schema = { stores, stock, ledger, eventBuffer, chainBreaks, ...hqSchema };
export type Schema = typeof schema;
