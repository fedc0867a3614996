import type { StoreCommand } from '@stocksync/shared';
import { and, asc, gt, inArray, isNull, sql } from 'drizzle-orm';
import { type Database, rowsOf } from './database';
import { commandOutbox } from './schema';

export type OutboxCommand = { id: string; storeId: string; payload: StoreCommand };

/** Arbitrary constant: the one relay round allowed at a time across central replicas. */
const RELAY_LOCK_KEY = 0x5707c6;

export function createCommandOutboxRepository(db: Database) {
  return {
    /** In the caller's transaction: the commands commit or roll back with the change that causes them. */
    async enqueue(commands: readonly OutboxCommand[]): Promise<void> {
      if (commands.length === 0) return;
      await db
        .insert(commandOutbox)
        .values(commands.map((c) => ({ id: c.id, storeId: c.storeId, payload: c.payload })));
    },

    /**
     * Transaction-scoped try-lock: true for exactly one replica's relay round at a time, so commands
     * leave in order and replicas never wait on each other (the others simply try again later).
     */
    async tryRelayLock(): Promise<boolean> {
      const [row] = rowsOf<{ locked: boolean }>(
        await db.execute(sql`select pg_try_advisory_xact_lock(${RELAY_LOCK_KEY}) as locked`),
      );
      return row?.locked === true;
    },

    /** Oldest unpublished commands first (served by the partial index on unpublished rows). */
    async unpublished(limit: number): Promise<OutboxCommand[]> {
      const rows = await db
        .select({ id: commandOutbox.id, storeId: commandOutbox.storeId, payload: commandOutbox.payload })
        .from(commandOutbox)
        .where(isNull(commandOutbox.publishedAt))
        .orderBy(asc(commandOutbox.createdAt), asc(commandOutbox.id))
        .limit(limit);
      return rows.map((r) => ({ ...r, payload: r.payload as StoreCommand }));
    },

    async markPublished(ids: readonly string[], at: Date): Promise<void> {
      if (ids.length === 0) return;
      await db
        .update(commandOutbox)
        .set({ publishedAt: at })
        .where(and(inArray(commandOutbox.id, [...ids]), isNull(commandOutbox.publishedAt)));
    },

    /** Commands JetStream acknowledged after `since`. */
    async publishedSince(since: Date): Promise<number> {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(commandOutbox)
        .where(gt(commandOutbox.publishedAt, since));
      return Number(row?.n ?? 0);
    },

    /** Marks the commands published after `since` unpublished again, so the relay sends them again. */
    async unpublishSince(since: Date): Promise<number> {
      const rows = await db
        .update(commandOutbox)
        .set({ publishedAt: null })
        .where(gt(commandOutbox.publishedAt, since))
        .returning({ id: commandOutbox.id });
      return rows.length;
    },

    async pending(): Promise<number> {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(commandOutbox)
        .where(isNull(commandOutbox.publishedAt));
      return Number(row?.n ?? 0);
    },
  };
}
export type CommandOutboxRepository = ReturnType<typeof createCommandOutboxRepository>;
