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
    const payload = commandPayload(type, id, transfer, qty, at.toISOString());
    return { id, storeId, payload };
  });
}

function commandPayload(
  type: CommandType,
  id: string,
  transfer: TransferRow,
  qty: number,
  issuedAt: string,
): StoreCommand {
  switch (type) {
    case 'transfer.cancelled': {
      const { fromStoreId, toStoreId, sku } = transfer;
      return { type, id, transferId: transfer.id, sku, qty: transfer.qty, fromStoreId, toStoreId, issuedAt };
    }
    case 'transfer.received':
      return { type, id, transferId: transfer.id, receivedQty: qty, issuedAt };
    default: {
      const { fromStoreId, toStoreId, sku } = transfer;
      return { type, id, transferId: transfer.id, sku, qty, fromStoreId, toStoreId, issuedAt };
    }
  }
}
