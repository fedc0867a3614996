import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export class InstanceLockedError extends Error {
  constructor(readonly file: string) {
    super(`another process holds ${file}: a store node (or a recovery) already runs on this data directory`);
    this.name = 'InstanceLockedError';
  }
}

export type InstanceLock = { release(): void };

/**
 * One process per store database. Two writers would each keep their own chain head in memory and seal
 * two events with the same seq (a fork central refuses). The lock is an exclusive SQLite transaction on
 * a side file: the kernel drops it when the process dies, kill -9 included, so a crash never leaves a
 * stale lock to clean up by hand (a pid file would).
 */
export function acquireInstanceLock(dataDir: string, storeId: string): InstanceLock {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, `store-${storeId}.lock`);
  const lock = new Database(file, { timeout: 0 });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') throw new InstanceLockedError(file);
    throw error;
  }
  return {
    release() {
      if (!lock.open) return;
      lock.exec('ROLLBACK');
      lock.close();
    },
  };
}
