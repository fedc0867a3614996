import type { StockEvent } from '@stocksync/shared';
import { and, asc, eq, gt, inArray, or, sql } from 'drizzle-orm';
import type { Database } from './database';
import { eventBuffer, stores } from './schema';

/** A store with buffered events or a blocked chain: gap repair's work list. */
export type GapCandidate = {
  storeId: string;
  lastSeq: number;
  chainStatus: string;
  bufferedEvents: number;
  minBufferedSeq: number | null;
  /** The highest missing seq below a buffered one: resending up to it fills every hole at once. */
  lastMissingSeq: number | null;
};

const CHUNK = 1000;

export function createEventBufferRepository(db: Database) {
  return {
    /** Keeps the first copy of a seq; later copies are resolved against it when the gap closes. */
    async insertMany(events: readonly StockEvent[], at: Date): Promise<void> {
      for (let i = 0; i < events.length; i += CHUNK) {
        const rows = events
          .slice(i, i + CHUNK)
          .map((e) => ({ storeId: e.storeId, seq: e.seq, payload: e, receivedAt: at }));
        await db.insert(eventBuffer).values(rows).onConflictDoNothing();
      }
    },

    /** Buffered events of the given stores in (last_seq, last_seq + window], ordered by store and seq. */
    async loadWindow(storeIds: readonly string[], window: number): Promise<StockEvent[]> {
      if (storeIds.length === 0) return [];
      const rows = await db
        .select({ payload: eventBuffer.payload })
        .from(eventBuffer)
        .innerJoin(stores, eq(stores.storeId, eventBuffer.storeId))
        .where(
          and(
            inArray(eventBuffer.storeId, [...storeIds]),
            sql`${eventBuffer.seq} > ${stores.lastSeq}`,
            sql`${eventBuffer.seq} <= ${stores.lastSeq} + ${window}`,
          ),
        )
        .orderBy(asc(eventBuffer.storeId), asc(eventBuffer.seq));
      // Validated before it was buffered; jsonb gives it back as the same object.
      return rows.map((r) => r.payload as StockEvent);
    },

    async deleteSeqs(storeId: string, seqs: readonly number[]): Promise<void> {
      if (seqs.length === 0) return;
      await db.delete(eventBuffer).where(and(eq(eventBuffer.storeId, storeId), inArray(eventBuffer.seq, [...seqs])));
    },

    /**
     * Stores whose last heartbeat said JetStream acknowledged events beyond what central applied, with
     * nothing buffered and an intact chain: normally events still on their way through the stream.
     */
    async behindTheirStream(): Promise<Array<{ storeId: string; lastSeq: number; acked: number }>> {
      const acked = sql<number>`${stores.reportedLastSeq} - ${stores.reportedPending}`;
      const rows = await db
        .select({ storeId: stores.storeId, lastSeq: stores.lastSeq, acked })
        .from(stores)
        .where(
          and(sql`${acked} > ${stores.lastSeq}`, eq(stores.bufferedEvents, 0), sql`${stores.chainStatus} <> 'broken'`),
        );
      return rows.map((r) => ({ storeId: r.storeId, lastSeq: Number(r.lastSeq), acked: Number(r.acked) }));
    },

    /** Stores with buffered events or a blocked chain, with the lowest buffered seq beyond the cursor. */
    async gapCandidates(): Promise<GapCandidate[]> {
      const rows = await db
        .select({
          storeId: stores.storeId,
          lastSeq: stores.lastSeq,
          chainStatus: stores.chainStatus,
          bufferedEvents: stores.bufferedEvents,
          // The (store_id, seq) primary key answers this with one index probe per store. The outer
          // columns are written out: drizzle renders ${stores.storeId} in a select list as a bare
          // "store_id", which inside the subquery would name b's own column (every store's buffer).
          minBufferedSeq: sql<
            string | number | null
          >`(select min(b.seq) from ${eventBuffer} b where b.store_id = stores.store_id and b.seq > stores.last_seq)`,
          // The start of the last contiguous buffered run, minus one (one probe per buffered row).
          lastMissingSeq: sql<string | number | null>`(select max(b.seq) - 1 from ${eventBuffer} b
            where b.store_id = stores.store_id and b.seq > stores.last_seq + 1
              and not exists (select 1 from ${eventBuffer} p where p.store_id = stores.store_id and p.seq = b.seq - 1))`,
        })
        .from(stores)
        // The exists() catches a counter that drifted (it is recounted whenever the buffer is touched).
        .where(
          or(
            gt(stores.bufferedEvents, 0),
            eq(stores.chainStatus, 'broken'),
            sql`exists (select 1 from ${eventBuffer} b where b.store_id = ${stores.storeId} and b.seq > ${stores.lastSeq})`,
          ),
        );
      const seqOrNull = (seq: string | number | null) => (seq === null ? null : Number(seq));
      return rows.map((r) => ({
        ...r,
        minBufferedSeq: seqOrNull(r.minBufferedSeq),
        lastMissingSeq: seqOrNull(r.lastMissingSeq),
      }));
    },

    async count(storeId?: string): Promise<number> {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(eventBuffer)
        .where(storeId ? eq(eventBuffer.storeId, storeId) : undefined);
      return Number(row?.n ?? 0);
    },
  };
}
export type EventBufferRepository = ReturnType<typeof createEventBufferRepository>;
