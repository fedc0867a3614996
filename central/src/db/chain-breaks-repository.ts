import { and, desc, eq, isNull, lt, type SQL, sql } from 'drizzle-orm';
import type { Database } from './database';
import { type BreakReason, chainBreaks } from './schema';

export type ChainBreakRow = typeof chainBreaks.$inferSelect;
export type NewChainBreak = {
  storeId: string;
  seq: number | null;
  reason: BreakReason;
  eventId: string | null;
  eventHash: string | null;
  detail: string;
  payload: unknown;
};
export type BreakFilter = {
  storeId?: string | undefined;
  open?: boolean | undefined;
  beforeId?: number | undefined;
  limit: number;
};

export function createChainBreaksRepository(db: Database) {
  return {
    /** Returns only the newly recorded breaks: a redelivered bad event is already on file. */
    async insertMany(rows: readonly NewChainBreak[]): Promise<Pick<ChainBreakRow, 'id' | 'storeId' | 'reason'>[]> {
      if (rows.length === 0) return [];
      return db
        .insert(chainBreaks)
        .values(rows.map((r) => ({ ...r, payload: r.payload ?? null })))
        .onConflictDoNothing()
        .returning({ id: chainBreaks.id, storeId: chainBreaks.storeId, reason: chainBreaks.reason });
    },

    async list(filter: BreakFilter): Promise<ChainBreakRow[]> {
      const conditions: (SQL | undefined)[] = [
        filter.storeId ? eq(chainBreaks.storeId, filter.storeId) : undefined,
        filter.open === true ? isNull(chainBreaks.resolvedAt) : undefined,
        filter.open === false ? sql`${chainBreaks.resolvedAt} is not null` : undefined,
        filter.beforeId !== undefined ? lt(chainBreaks.id, filter.beforeId) : undefined,
      ];
      return db
        .select()
        .from(chainBreaks)
        .where(and(...conditions))
        .orderBy(desc(chainBreaks.id))
        .limit(filter.limit);
    },

    /** Marks a break as reviewed; idempotent (resolving twice keeps the first time). */
    async resolve(id: number, at: Date): Promise<ChainBreakRow | undefined> {
      await db
        .update(chainBreaks)
        .set({ resolvedAt: at })
        .where(and(eq(chainBreaks.id, id), isNull(chainBreaks.resolvedAt)));
      const [row] = await db.select().from(chainBreaks).where(eq(chainBreaks.id, id));
      return row;
    },
  };
}
export type ChainBreaksRepository = ReturnType<typeof createChainBreaksRepository>;
