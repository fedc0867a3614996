import { statfsSync } from 'node:fs';
import type Database from 'better-sqlite3';

export type StorageStatus = {
  /** The last write that needed disk space failed for want of it: stock changes answer 507 STORAGE_FULL. */
  full: boolean;
  /** Bytes an unprivileged writer can still use on the data directory's file system (null: unknown). */
  freeBytes: number | null;
};

/** What the store's data disk looks like now (GET /health, /metrics, the heartbeat to central). */
export function readStorageStatus(dataDir: string, writes: { storageFull: boolean }): StorageStatus {
  let freeBytes: number | null = null;
  try {
    const fs = statfsSync(dataDir);
    freeBytes = fs.bavail * fs.bsize;
  } catch {
    // A file system that cannot say (or a data dir gone): the flag still tells whether writes fail.
  }
  return { full: writes.storageFull, freeBytes };
}

/**
 * Free space the file system must report before a full store tries a write again: with less, a
 * one-row write may squeeze through while every sale still fails, and the flag would flap.
 */
export const STORAGE_RETRY_MIN_FREE_BYTES = 1024 * 1024;

/**
 * A one-row write for a store whose disk was full and that sells nothing meanwhile (a closed store,
 * a night): when it commits, the flag clears, so /health, /metrics and central see the disk recover
 * without waiting for the next sale. Run it inside the write queue.
 */
export function createStorageProbe(sqlite: Database.Database, now: () => number) {
  const touch = sqlite.prepare<[number]>(
    `INSERT INTO sync_state (key, value) VALUES ('storage_probe_at', ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  );
  return {
    /** Whether a retry is worth it now: free space known and below the margin means not yet. */
    worthTrying(status: StorageStatus): boolean {
      return status.full && (status.freeBytes === null || status.freeBytes >= STORAGE_RETRY_MIN_FREE_BYTES);
    },
    write(): void {
      touch.run(now());
    },
  };
}
