import { statfsSync } from 'node:fs';

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
