import { DomainError, ErrorCode, newId } from '@stocksync/shared';
import { and, eq, inArray } from 'drizzle-orm';
import { createCommandOutboxRepository } from '../db/command-outbox-repository';
import type { Database } from '../db/database';
import { stock, stores } from '../db/schema';
import { createTransfersRepository, type TransferRow } from '../db/transfers-repository';
import { idForIdempotencyKey } from './idempotent-id';
import { transferCommands } from './transfer-commands';

export type TransferRequest = { sku: string; fromStoreId: string; toStoreId: string; qty: number };

export const transferIdForKey = (key: string) => idForIdempotencyKey('transfer', key);

const sameRequest = (row: TransferRow, r: TransferRequest) =>
  row.sku === r.sku && row.fromStoreId === r.fromStoreId && row.toStoreId === r.toStoreId && row.qty === r.qty;

/**
 * HQ's side of two-step transfers (DESIGN §6): create and cancel, each in ONE transaction with the
 * commands it sends to the stores (command_outbox), so a crash can neither lose nor invent a command.
 * `onCommands` wakes the relay after the commit.
 */
export function createTransferService(db: Database, onCommands: () => void) {
  const transfers = createTransfersRepository(db);

  async function validate(tx: Database, r: TransferRequest): Promise<void> {
    if (r.fromStoreId === r.toStoreId) {
      throw new DomainError(ErrorCode.VALIDATION, 'body/toStoreId must differ from fromStoreId');
    }
    const known = await tx
      .select({ storeId: stores.storeId })
      .from(stores)
      .where(inArray(stores.storeId, [r.fromStoreId, r.toStoreId]));
    const missing = [r.fromStoreId, r.toStoreId].filter((id) => !known.some((k) => k.storeId === id));
    if (missing.length > 0) {
      throw new DomainError(ErrorCode.NOT_FOUND, `Unknown store: ${missing.join(', ')}`, { storeIds: missing });
    }
    const [carried] = await tx
      .select({ sku: stock.sku })
      .from(stock)
      .where(and(eq(stock.storeId, r.fromStoreId), eq(stock.sku, r.sku)));
    if (!carried) {
      throw new DomainError(ErrorCode.NOT_FOUND, `Store ${r.fromStoreId} has no stock of ${r.sku}`, { skus: [r.sku] });
    }
  }

  return {
    /** Returns the transfer and whether it already existed (a retry with the same Idempotency-Key). */
    async request(r: TransferRequest, idempotencyKey?: string): Promise<{ transfer: TransferRow; replayed: boolean }> {
      const id = idempotencyKey ? transferIdForKey(idempotencyKey) : newId();
      const outcome = await db.transaction(async (tx) => {
        const repo = createTransfersRepository(tx);
        const existing = idempotencyKey ? await repo.get(id) : undefined;
        if (existing) return { transfer: existing, replayed: true };
        await validate(tx, r);
        const now = new Date();
        const created = await repo.insert({ id, ...r }, now);
        // Lost a race with the same key: the other request's row is the answer.
        if (!created) return { transfer: await mustGet(repo.get(id), id), replayed: true };
        await createCommandOutboxRepository(tx).enqueue(
          transferCommands('transfer.requested', created, [created.fromStoreId, created.toStoreId], now),
        );
        return { transfer: created, replayed: false };
      });
      if (outcome.replayed && !sameRequest(outcome.transfer, r)) {
        throw new DomainError(ErrorCode.IDEMPOTENCY_MISMATCH, 'Idempotency-Key was used for a different transfer');
      }
      if (!outcome.replayed) onCommands();
      return outcome;
    },

    async get(id: string): Promise<TransferRow> {
      return mustGet(transfers.get(id), id);
    },

    /** Only before shipping; cancelling a cancelled transfer returns it unchanged. */
    async cancel(id: string): Promise<TransferRow> {
      const outcome = await db.transaction(async (tx) => {
        const repo = createTransfersRepository(tx);
        const transfer = (await repo.lockMany([id])).get(id);
        if (!transfer) throw new DomainError(ErrorCode.NOT_FOUND, `Transfer ${id} not found`);
        if (transfer.status === 'cancelled') return { transfer, changed: false };
        if (transfer.status !== 'requested') {
          throw new DomainError(
            ErrorCode.CONFLICT,
            `Transfer ${id} is ${transfer.status}: only a requested transfer can be cancelled`,
            {
              status: transfer.status,
            },
          );
        }
        const now = new Date();
        const cancelled = await repo.update(id, { status: 'cancelled', cancelledAt: now, updatedAt: now });
        await createCommandOutboxRepository(tx).enqueue(
          transferCommands('transfer.cancelled', cancelled, [cancelled.fromStoreId, cancelled.toStoreId], now),
        );
        return { transfer: cancelled, changed: true };
      });
      if (outcome.changed) onCommands();
      return outcome.transfer;
    },
  };
}
export type TransferService = ReturnType<typeof createTransferService>;

async function mustGet(found: Promise<TransferRow | undefined>, id: string): Promise<TransferRow> {
  const row = await found;
  if (!row) throw new DomainError(ErrorCode.NOT_FOUND, `Transfer ${id} not found`);
  return row;
}
