import { eq, lt, sql } from 'drizzle-orm';
import type { StoreDb } from '../db-plugin';
import { idempotencyKeys } from '../schema';

export function createIdempotencyRepository(db: StoreDb) {
  const byKey = db
    .select()
    .from(idempotencyKeys)
    .where(eq(idempotencyKeys.key, sql.placeholder('key')))
    .prepare();
  const insert = db
    .insert(idempotencyKeys)
    .values({
      key: sql.placeholder('key'),
      requestHash: sql.placeholder('requestHash'),
      statusCode: sql.placeholder('statusCode'),
      response: sql.placeholder('response'),
      createdAtMs: sql.placeholder('createdAtMs'),
    })
    .prepare();
  return {
    find: (key: string) => byKey.get({ key }),
    insert: (row: typeof idempotencyKeys.$inferInsert) => insert.run(row),
    pruneOlderThan: (ms: number) => db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAtMs, ms)).run().changes,
  };
}
export type IdempotencyRepository = ReturnType<typeof createIdempotencyRepository>;
