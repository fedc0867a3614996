import type { Heartbeat } from '@stocksync/shared';
import { asc, eq, gt, inArray, type SQL, sql } from 'drizzle-orm';
import type { Database } from './database';
import { type ChainStatus, chainBreaks, eventBuffer, type RECONCILE_RESULTS, stores } from './schema';

export type StoreRow = typeof stores.$inferSelect;
export type ReconcileResult = (typeof RECONCILE_RESULTS)[number];
export type StoreCursor = Pick<StoreRow, 'storeId' | 'lastSeq' | 'lastHash' | 'chainStatus' | 'bufferedEvents'>;
export type CursorAdvance = {
  storeId: string;
  lastSeq: number;
  lastHash: string;
  lastEventAt: Date | null;
  appliedAt: Date;
  chainStatus: ChainStatus;
  /** The store's buffer changed: recount its rows beyond the new cursor (exact, self-healing). */
  recountBuffer: boolean;
};
export type StoreWithBreaks = StoreRow & { openBreaks: number };

// Written out, not ${stores.storeId}: in a select list drizzle renders that as a bare "store_id", which
// inside the subquery names chain_breaks' own column and counts every store's breaks.
const openBreaksOf = sql<number>`(select count(*)::int from ${chainBreaks} cb where cb.store_id = stores.store_id and cb.resolved_at is null)`;

/** One UPDATE for all stores of a batch (null when there is nothing to write). */
export function cursorAdvanceStatement(updates: readonly CursorAdvance[]): SQL | null {
  if (updates.length === 0) return null;
  const values = sql.join(
    updates.map(
      (u) =>
        sql`(${u.storeId}::text, ${u.lastSeq}::bigint, ${u.lastHash}::text, ${u.lastEventAt?.toISOString() ?? null}::timestamptz, ${u.appliedAt.toISOString()}::timestamptz, ${u.chainStatus}::text, ${u.recountBuffer}::boolean)`,
    ),
    sql`, `,
  );
  return sql`
    update ${stores} as s set
      last_seq = v.last_seq,
      last_hash = v.last_hash,
      last_event_at = coalesce(v.last_event_at, s.last_event_at),
      last_applied_at = case when v.last_seq > s.last_seq then v.applied_at else s.last_applied_at end,
      chain_status = v.chain_status,
      buffered_events = case when v.recount then
        (select count(*) from ${eventBuffer} b where b.store_id = v.store_id and b.seq > v.last_seq)
        else s.buffered_events end
    from (values ${values}) as v(store_id, last_seq, last_hash, last_event_at, applied_at, chain_status, recount)
    where s.store_id = v.store_id`;
}

export function createStoresRepository(db: Database) {
  return {
    /** Creates missing cursors in store_id order, so concurrent transactions never deadlock on them. */
    async ensure(storeIds: readonly string[]): Promise<void> {
      if (storeIds.length === 0) return;
      const sorted = [...storeIds].sort();
      await db
        .insert(stores)
        .values(sorted.map((storeId) => ({ storeId })))
        .onConflictDoNothing();
    },

    /** Row locks that serialize every central replica's apply of one store (always taken in id order). */
    async lockForUpdate(storeIds: readonly string[]): Promise<StoreCursor[]> {
      if (storeIds.length === 0) return [];
      return db
        .select({
          storeId: stores.storeId,
          lastSeq: stores.lastSeq,
          lastHash: stores.lastHash,
          chainStatus: stores.chainStatus,
          bufferedEvents: stores.bufferedEvents,
        })
        .from(stores)
        .where(inArray(stores.storeId, [...storeIds]))
        .orderBy(asc(stores.storeId))
        .for('update');
    },

    async recordReconciliation(storeId: string, result: ReconcileResult, at: Date): Promise<void> {
      await db.update(stores).set({ lastReconciledAt: at, reconcileResult: result }).where(eq(stores.storeId, storeId));
    },

    async advance(updates: readonly CursorAdvance[]): Promise<void> {
      const statement = cursorAdvanceStatement(updates);
      if (statement) await db.execute(statement);
    },

    /** Records the heartbeat; returns the store's apply cursor (what central answers the store). */
    async recordHeartbeat(storeId: string, heartbeat: Heartbeat, at: Date): Promise<number> {
      const reported = {
        lastContactAt: at,
        reportedLastSeq: heartbeat.lastSeq,
        reportedPending: heartbeat.pending,
        reportedOldestPendingAgeMs: heartbeat.oldestPendingAgeMs,
        reportedBehindCentral: heartbeat.behindCentral ?? false,
        reportedStorageFull: heartbeat.storageFull ?? false,
        reportedDiskFreeBytes: heartbeat.diskFreeBytes ?? null,
        reportedClockOffsetMs: heartbeat.clockOffsetMs ?? null,
        reportedSlowestWalFsyncMs: heartbeat.slowestWalFsyncMs ?? null,
      };
      const [row] = await db
        .insert(stores)
        .values({ storeId, ...reported })
        .onConflictDoUpdate({ target: stores.storeId, set: reported })
        .returning({ lastSeq: stores.lastSeq });
      return row?.lastSeq ?? 0;
    },

    async touchContact(storeId: string, at: Date): Promise<void> {
      await db.update(stores).set({ lastContactAt: at }).where(sql`${stores.storeId} = ${storeId}`);
    },

    async get(storeId: string): Promise<StoreWithBreaks | undefined> {
      const [row] = await db
        .select({ store: stores, openBreaks: openBreaksOf })
        .from(stores)
        .where(sql`${stores.storeId} = ${storeId}`);
      return row ? { ...row.store, openBreaks: Number(row.openBreaks) } : undefined;
    },

    /** Stores ordered by id, keyset-paginated after `afterStoreId`. */
    async list(opts: { limit: number; afterStoreId?: string | undefined }): Promise<StoreWithBreaks[]> {
      const where: SQL | undefined = opts.afterStoreId ? gt(stores.storeId, opts.afterStoreId) : undefined;
      const rows = await db
        .select({ store: stores, openBreaks: openBreaksOf })
        .from(stores)
        .where(where)
        .orderBy(asc(stores.storeId))
        .limit(opts.limit);
      return rows.map((r) => ({ ...r.store, openBreaks: Number(r.openBreaks) }));
    },
  };
}
export type StoresRepository = ReturnType<typeof createStoresRepository>;
