import { newId, type StoreCommand } from '@stocksync/shared';
import type { OutboxCommand } from '../db/command-outbox-repository';
import type { TransferRow } from '../db/transfers-repository';

type CommandType = StoreCommand['type'];

/** The outbox rows for one transfer transition: one command per store that must hear of it. */
export function transferCommands(
  type: CommandType,
  transfer: TransferRow,
  to: readonly string[],
  at: Date,
  qty = transfer.qty,
): OutboxCommand[] {
  return to.map((storeId) => {
    const id = newId();
    const issuedAt = at.toISOString();
    const payload: StoreCommand =
      type === 'transfer.cancelled'
        ? { type, id, transferId: transfer.id, issuedAt }
        : {
            type,
            id,
            transferId: transfer.id,
            sku: transfer.sku,
            qty,
            fromStoreId: transfer.fromStoreId,
            toStoreId: transfer.toStoreId,
            issuedAt,
          };
    return { id, storeId, payload };
  });
}
