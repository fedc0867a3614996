import { DomainError, ErrorCode } from '@stocksync/shared';

/** SQLite failures a write is refused for with a clear, retryable error instead of a 500 (write-queue.ts). */
const sqliteCode = (error: unknown) => String((error as { code?: unknown } | null)?.code ?? '');

/**
 * SQLite's answer when the disk (or the file) cannot grow. SQLite has rolled back what the write did,
 * so the store refuses it with a clear, retryable error instead of a 500, and stays up: it sells
 * again the moment space is freed.
 */
export const isDiskFull = (error: unknown) => sqliteCode(error) === 'SQLITE_FULL';
export const diskFull = () =>
  new DomainError(
    ErrorCode.STORAGE_FULL,
    "The store node's disk is full: nothing was recorded. Free space on its data disk, then send the " +
      'request again with the same Idempotency-Key.',
  );

/** Another program holds the write lock past the connection's short busy timeout (db-plugin.ts). */
export const isLockedByOther = (error: unknown) => sqliteCode(error).startsWith('SQLITE_BUSY');
export const lockedByOther = () =>
  new DomainError(
    ErrorCode.DEPENDENCY_UNAVAILABLE,
    "Another program holds the store node's database for writing (an open sqlite3 session?): nothing " +
      'was recorded. Close it, then send the request again with the same Idempotency-Key.',
  );
