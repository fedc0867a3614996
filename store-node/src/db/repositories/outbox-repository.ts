import type { StoreDb } from '../db-plugin';

const LAST_PUBLISHED = 'last_published_seq';

/**
 * The outbox with a cursor: rows up to sync_state.last_published_seq are acknowledged by JetStream, the
 * rest are pending. Every query here is a primary-key lookup or range, so none grows with the table.
 */
export function createOutboxRepository(db: StoreDb) {
  const sqlite = db.$client;
  const advance = sqlite.prepare<[string, number]>(
    `INSERT INTO sync_state (key, value) VALUES (?, ?)
     ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)`,
  );
  const lastPublished = sqlite.prepare<[string], { value: number }>('SELECT value FROM sync_state WHERE key = ?');
  const lastQueued = sqlite.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM outbox');
  const createdAt = sqlite.prepare<[number], { createdAtMs: number }>(
    'SELECT created_at_ms AS createdAtMs FROM outbox WHERE seq > ? ORDER BY seq LIMIT 1',
  );
  const prune = sqlite.prepare<[number, number, number]>(
    `DELETE FROM outbox WHERE seq IN (
       SELECT seq FROM outbox WHERE seq <= ? AND created_at_ms < ? ORDER BY seq LIMIT ?)`,
  );

  const published = () => lastPublished.get(LAST_PUBLISHED)?.value ?? 0;
  /** JetStream's acknowledgements as they arrive; the cursor row catches up with the next commit. */
  let acknowledged = () => 0;

  return {
    /** Everything up to `upTo` is acknowledged (never moves back); call inside a write transaction. */
    markSentUpTo(upTo: number): void {
      advance.run(LAST_PUBLISHED, upTo);
    },

    /** Lets stats count what JetStream acknowledged before the cursor row records it. */
    followAcknowledged(source: () => number): void {
      acknowledged = source;
    },

    stats(now: number) {
      const lastPublishedSeq = Math.max(published(), acknowledged());
      const pending = Math.max(0, (lastQueued.get()?.seq ?? 0) - lastPublishedSeq);
      const oldest = pending > 0 ? createdAt.get(lastPublishedSeq)?.createdAtMs : undefined;
      return {
        pending,
        oldestPendingAgeMs: oldest !== undefined ? Math.max(0, now - oldest) : 0,
        lastPublishedSeq,
      };
    },

    /**
     * Deletes up to `limit` acknowledged rows older than `beforeMs` (the ledger keeps every event, and
     * serves resends); returns how many went.
     */
    prunePublished: (beforeMs: number, limit: number) => prune.run(published(), beforeMs, limit).changes,
  };
}
export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
