import type { ReconcileResult, StoresRepository, StoreWithBreaks } from '../db/stores-repository';
import { decodeCursor, toPage } from '../routes/common-schemas';

export type StoreHealth = {
  storeId: string;
  lastSeq: number;
  lastEventAt: string | null;
  lastAppliedAt: string | null;
  lastContactAt: string | null;
  /**
   * lastAppliedAt − lastEventAt of the newest applied event, the event's time moved onto central's clock
   * by the store's reported offset: how far central trailed the store then.
   */
  lagMs: number | null;
  online: boolean;
  pending: number | null;
  oldestPendingAgeMs: number | null;
  reportedLastSeq: number | null;
  /**
   * The store reported its file behind central's cursor (restored from a backup, a new disk): it
   * refuses stock changes until `store:recover` runs. The store's own judgement: central comparing
   * `reportedLastSeq` with its cursor would flag every busy store between two heartbeats.
   */
  behindCentral: boolean;
  /** The store reported a full disk: it refuses stock changes (507 STORAGE_FULL) until space is freed. */
  storageFull: boolean;
  diskFreeBytes: number | null;
  /** The store's clock minus central's, as the store last measured it (null: not reported yet). */
  clockOffsetMs: number | null;
  /** The longest WAL fsync the store had between its last two heartbeats (null: none ran, or not reported). */
  slowestWalFsyncMs: number | null;
  chainStatus: 'ok' | 'broken';
  openBreaks: number;
  /** Events received ahead of a gap, waiting for the missing ones. */
  bufferedEvents: number;
  createdAt: string;
  /** The last reconciliation that could compare, and what it found. */
  lastReconciledAt: string | null;
  reconcileResult: ReconcileResult | null;
};

/** A store is online while its last heartbeat (or resend reply) is younger than `offlineAfterMs`. */
export function storeHealth(row: StoreWithBreaks, now: number, offlineAfterMs: number): StoreHealth {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    storeId: row.storeId,
    lastSeq: row.lastSeq,
    lastEventAt: iso(row.lastEventAt),
    lastAppliedAt: iso(row.lastAppliedAt),
    lastContactAt: iso(row.lastContactAt),
    // The event's time is the store's: on central's clock it is off by the store's reported offset.
    lagMs:
      row.lastAppliedAt && row.lastEventAt
        ? Math.max(0, row.lastAppliedAt.getTime() - row.lastEventAt.getTime() + (row.reportedClockOffsetMs ?? 0))
        : null,
    online: row.lastContactAt !== null && now - row.lastContactAt.getTime() <= offlineAfterMs,
    pending: row.reportedPending,
    oldestPendingAgeMs: row.reportedOldestPendingAgeMs,
    reportedLastSeq: row.reportedLastSeq,
    behindCentral: row.reportedBehindCentral,
    storageFull: row.reportedStorageFull,
    diskFreeBytes: row.reportedDiskFreeBytes,
    clockOffsetMs: row.reportedClockOffsetMs,
    slowestWalFsyncMs: row.reportedSlowestWalFsyncMs,
    chainStatus: row.chainStatus,
    openBreaks: row.openBreaks,
    bufferedEvents: row.bufferedEvents,
    createdAt: row.createdAt.toISOString(),
    lastReconciledAt: iso(row.lastReconciledAt),
    reconcileResult: row.reconcileResult,
  };
}

/** One page of stores with their health, ordered by id (GET /stores and GET /sync show the same view). */
export async function storeHealthPage(
  repo: StoresRepository,
  query: { limit: number; cursor?: string | undefined },
  offlineAfterMs: number,
) {
  const after = query.cursor ? decodeCursor(query.cursor, ['string'] as const)[0] : undefined;
  const rows = await repo.list({ limit: query.limit + 1, afterStoreId: after });
  const now = Date.now();
  return toPage(
    rows,
    query.limit,
    (r) => [r.storeId],
    (r) => storeHealth(r, now, offlineAfterMs),
  );
}
