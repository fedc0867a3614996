import { desc, eq } from 'drizzle-orm';
import type { StoreDb } from '../db-plugin';
import { transfers } from '../schema';

export type TransferRecord = typeof transfers.$inferSelect;
export type TransferStatus = TransferRecord['status'];

export function createTransferRepository(db: StoreDb) {
  return {
    find: (id: string) => db.select().from(transfers).where(eq(transfers.id, id)).get(),
    list: (limit: number) => db.select().from(transfers).orderBy(desc(transfers.createdAt)).limit(limit).all(),
    insert: (row: TransferRecord) => db.insert(transfers).values(row).onConflictDoNothing().run(),
    update: (id: string, set: Partial<Omit<TransferRecord, 'id'>>) =>
      db.update(transfers).set(set).where(eq(transfers.id, id)).run(),
  };
}
export type TransferRepository = ReturnType<typeof createTransferRepository>;
