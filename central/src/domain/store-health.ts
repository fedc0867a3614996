import type { StoreWithBreaks } from '../db/stores-repository';

export type StoreHealth = {
  storeId: string;
  lastSeq: number;
  lastEventAt: string | null;
  lastAppliedAt: string | null;
  lastContactAt: string | null;
  /** lastAppliedAt − lastEventAt of the newest applied event: how far central trailed the store then. */
  lagMs: number | null;
  online: boolean;
  pending: number | null;
  oldestPendingAgeMs: number | null;
  reportedLastSeq: number | null;
  chainStatus: 'ok' | 'broken';
  openBreaks: number;
  /** Events received ahead of a gap, waiting for the missing ones. */
  bufferedEvents: number;
  createdAt: string;
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
    lagMs:
      row.lastAppliedAt && row.lastEventAt
        ? Math.max(0, row.lastAppliedAt.getTime() - row.lastEventAt.getTime())
        : null,
    online: row.lastContactAt !== null && now - row.lastContactAt.getTime() <= offlineAfterMs,
    pending: row.reportedPending,
    oldestPendingAgeMs: row.reportedOldestPendingAgeMs,
    reportedLastSeq: row.reportedLastSeq,
    chainStatus: row.chainStatus,
    openBreaks: row.openBreaks,
    bufferedEvents: row.bufferedEvents,
    createdAt: row.createdAt.toISOString(),
  };
}
