import { and, count, eq, isNotNull, isNull, lt, min, sql } from 'drizzle-orm';
import type { StoreDb } from '../db-plugin';
import { outbox, syncState } from '../schema';

const LAST_PUBLISHED = 'last_published_seq';

export function createOutboxRepository(db: StoreDb) {
  const markSent = db
    .update(outbox)
    .set({ sentAtMs: sql`${sql.placeholder('now')}` })
    .where(and(isNull(outbox.sentAtMs), sql`${outbox.seq} <= ${sql.placeholder('upTo')}`))
    .prepare();

  return {
    /** Marks everything up to `upTo` sent and remembers it; call inside a write transaction. */
    markSentUpTo(upTo: number, now: number): void {
      markSent.run({ upTo, now });
      db.insert(syncState)
        .values({ key: LAST_PUBLISHED, value: upTo })
        .onConflictDoUpdate({ target: syncState.key, set: { value: sql`max(${syncState.value}, excluded.value)` } })
        .run();
    },

    stats(now: number) {
      const row = db
        .select({ pending: count(), oldest: min(outbox.createdAtMs) })
        .from(outbox)
        .where(isNull(outbox.sentAtMs))
        .get();
      const last = db.select({ value: syncState.value }).from(syncState).where(eq(syncState.key, LAST_PUBLISHED)).get();
      return {
        pending: row?.pending ?? 0,
        oldestPendingAgeMs: row?.oldest != null ? Math.max(0, now - row.oldest) : 0,
        lastPublishedSeq: last?.value ?? 0,
      };
    },

    /** Sent rows are kept for a while for inspection; the ledger keeps every event for good. */
    pruneSentBefore: (ms: number) =>
      db
        .delete(outbox)
        .where(and(isNotNull(outbox.sentAtMs), lt(outbox.sentAtMs, ms)))
        .run().changes,
  };
}
export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
