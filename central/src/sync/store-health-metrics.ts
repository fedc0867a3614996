import { Gauge, type Registry } from 'prom-client';
import type { StoresRepository } from '../db/stores-repository';
import { type StoreHealth, storeHealth } from '../domain/store-health';

const PAGE = 1_000;

type Reading = { help: string; value: (h: StoreHealth) => number | null };

/** The GET /sync view per store, as gauges labelled by store_id. */
const READINGS: Record<string, Reading> = {
  central_store_online: {
    help: '1 while the store heartbeats within STORE_OFFLINE_AFTER_MS, else 0',
    value: (h) => (h.online ? 1 : 0),
  },
  central_store_last_contact_age_seconds: {
    help: 'Seconds since the store last heartbeat or answered (absent when it never did)',
    value: (h) => (h.lastContactAt ? Math.max(0, Date.now() - Date.parse(h.lastContactAt)) / 1000 : null),
  },
  central_store_outbox_pending: {
    help: 'Unsent events in the store outbox, as it last reported',
    value: (h) => h.pending,
  },
  central_store_oldest_pending_age_seconds: {
    help: 'Age of the oldest unsent event in the store outbox, as it last reported',
    value: (h) => (h.oldestPendingAgeMs === null ? null : h.oldestPendingAgeMs / 1000),
  },
  central_store_apply_lag_seconds: {
    help: 'Applied at central minus occurred at the store, of the newest applied event',
    value: (h) => (h.lagMs === null ? null : h.lagMs / 1000),
  },
  central_store_chain_broken: {
    help: "1 while the store's hash chain has an open break (its events stop applying there), else 0",
    value: (h) => (h.chainStatus === 'broken' ? 1 : 0),
  },
  central_store_behind_central: {
    help: '1 while the store reports its file behind central (restored backup): it refuses stock changes',
    value: (h) => (h.behindCentral ? 1 : 0),
  },
  central_store_storage_full: {
    help: '1 while the store reports a full disk: it refuses stock changes (507 STORAGE_FULL)',
    value: (h) => (h.storageFull ? 1 : 0),
  },
  central_store_disk_free_bytes: {
    help: "Free bytes on the store's data disk, as it last reported",
    value: (h) => h.diskFreeBytes,
  },
  central_store_clock_offset_seconds: {
    help: "The store's clock minus central's, as the store last measured it (event times are off by this; lag figures are corrected)",
    value: (h) => (h.clockOffsetMs === null ? null : h.clockOffsetMs / 1000),
  },
  central_store_slowest_wal_fsync_seconds: {
    help: "The longest fsync of the store's WAL between its last two heartbeats (absent when none ran)",
    value: (h) => (h.slowestWalFsyncMs === null ? null : h.slowestWalFsyncMs / 1000),
  },
  central_store_buffered_events: {
    help: 'Events received ahead of a seq gap, waiting for the missing ones',
    value: (h) => h.bufferedEvents,
  },
};

/**
 * Per-store sync health on central's /metrics, read from the stores table when scraped. HQ's
 * Prometheus can then alert on every store (offline, outbox backlog, chain break, behind central)
 * without reaching the stores, which sit behind their own networks. A database outage leaves the
 * gauges empty rather than taking /metrics down.
 */
export function registerStoreHealthMetrics(registry: Registry, repo: StoresRepository, offlineAfterMs: number) {
  // A scrape collects every gauge in the same turn: they share one read of the stores table.
  let inFlight: Promise<StoreHealth[] | undefined> | undefined;
  const read = () => {
    inFlight ??= allStores(repo, offlineAfterMs)
      .catch(() => undefined)
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
  for (const [name, reading] of Object.entries(READINGS)) {
    new Gauge({
      name,
      help: reading.help,
      labelNames: ['store_id'] as const,
      registers: [registry],
      async collect() {
        const rows = await read();
        this.reset();
        for (const health of rows ?? []) {
          const value = reading.value(health);
          if (value !== null) this.set({ store_id: health.storeId }, value);
        }
      },
    });
  }
}

async function allStores(repo: StoresRepository, offlineAfterMs: number): Promise<StoreHealth[]> {
  const all: StoreHealth[] = [];
  let after: string | undefined;
  for (;;) {
    const rows = await repo.list({ limit: PAGE, afterStoreId: after });
    const now = Date.now();
    for (const row of rows) all.push(storeHealth(row, now, offlineAfterMs));
    if (rows.length < PAGE) return all;
    after = rows.at(-1)?.storeId;
  }
}
