import { DomainError, ErrorCode, newId, type StoreCommand } from '@stocksync/shared';
import type { DiscrepancyRepository } from '../db/repositories/discrepancy-repository';
import type { LedgerRepository } from '../db/repositories/ledger-repository';
import type { StockRepository } from '../db/repositories/stock-repository';
import type { TransferRecord, TransferRepository } from '../db/repositories/transfer-repository';

/**
 * Two-step transfers at the store (DESIGN §6): central's commands create and cancel them; staff at
 * the source ship (stock leaves), staff at the target receive (stock arrives; a shortfall opens a
 * discrepancy). Ship and receive are idempotent. All functions run inside one write-queue job.
 */
export function createTransferService(deps: {
  storeId: string;
  transfers: TransferRepository;
  stock: StockRepository;
  ledger: LedgerRepository;
  discrepancies: DiscrepancyRepository;
  now: () => number;
}) {
  const { storeId, transfers, stock, ledger } = deps;
  const iso = () => new Date(deps.now()).toISOString();

  function mustFind(id: string): TransferRecord {
    const found = transfers.find(id);
    if (!found) throw new DomainError(ErrorCode.NOT_FOUND, `Transfer ${id} not found at this store`);
    return found;
  }

  return {
    get: mustFind,

    /** Applies a command from central; repeating one changes nothing. */
    applyCommand(command: StoreCommand): void {
      const at = iso();
      if (command.type === 'transfer.cancelled') {
        const found = transfers.find(command.transferId);
        if (found?.status === 'requested') transfers.update(found.id, { status: 'cancelled', updatedAt: at });
        const { sku, qty, fromStoreId, toStoreId } = command;
        if (!found && sku !== undefined && qty !== undefined && fromStoreId !== undefined && toStoreId !== undefined) {
          // A tombstone: the request, should it come after its cancel, finds the transfer cancelled.
          transfers.insert({
            id: command.transferId,
            sku,
            qty,
            fromStoreId,
            toStoreId,
            shippedQty: null,
            receivedQty: null,
            status: 'cancelled',
            createdAt: at,
            updatedAt: at,
          });
        }
        return;
      }
      if (command.type === 'transfer.received') {
        const found = transfers.find(command.transferId);
        if (found && found.fromStoreId === storeId && found.status !== 'received') {
          transfers.update(found.id, { status: 'received', receivedQty: command.receivedQty, updatedAt: at });
        }
        return;
      }
      const found = transfers.find(command.transferId);
      const inTransit = command.type === 'transfer.in_transit';
      if (!found) {
        transfers.insert({
          id: command.transferId,
          sku: command.sku,
          fromStoreId: command.fromStoreId,
          toStoreId: command.toStoreId,
          qty: command.qty,
          shippedQty: inTransit ? command.qty : null,
          receivedQty: null,
          status: inTransit ? 'in_transit' : 'requested',
          createdAt: at,
          updatedAt: at,
        });
      } else if (
        inTransit &&
        found.toStoreId === storeId &&
        (found.status === 'requested' || found.status === 'cancelled')
      ) {
        // The goods did leave: a cancel that raced an offline source's shipment must not strand them.
        transfers.update(found.id, { status: 'in_transit', shippedQty: command.qty, updatedAt: at });
      }
    },

    ship(id: string): TransferRecord {
      const transfer = mustFind(id);
      if (transfer.fromStoreId !== storeId) {
        throw new DomainError(ErrorCode.CONFLICT, `Transfer ${id} ships from ${transfer.fromStoreId}, not this store`);
      }
      if (transfer.status === 'in_transit' || transfer.status === 'received') return transfer;
      if (transfer.status === 'cancelled') throw new DomainError(ErrorCode.CONFLICT, `Transfer ${id} was cancelled`);
      const row = stock.find(transfer.sku);
      if (!row) throw new DomainError(ErrorCode.NOT_FOUND, `Unknown SKU: ${transfer.sku}`, { skus: [transfer.sku] });
      if (row.available < transfer.qty) {
        throw new DomainError(
          ErrorCode.INSUFFICIENT_STOCK,
          `Insufficient stock to ship ${transfer.sku} (requested ${transfer.qty}, available ${row.available})`,
          { lines: [{ sku: transfer.sku, requested: transfer.qty, available: row.available }] },
        );
      }
      const event = ledger.append(
        { type: 'transfer.shipped', sku: transfer.sku, delta: -transfer.qty, reservedDelta: 0, ref: id },
        row,
      );
      const shipped = { status: 'in_transit' as const, shippedQty: transfer.qty, updatedAt: event.occurredAt };
      transfers.update(id, shipped);
      return { ...transfer, ...shipped };
    },

    receive(id: string, receivedQty: number | undefined): TransferRecord {
      const transfer = mustFind(id);
      if (transfer.toStoreId !== storeId) {
        throw new DomainError(ErrorCode.CONFLICT, `Transfer ${id} goes to ${transfer.toStoreId}, not this store`);
      }
      if (transfer.status === 'received') return transfer;
      if (transfer.status !== 'in_transit' || transfer.shippedQty === null) {
        throw new DomainError(
          ErrorCode.CONFLICT,
          `Transfer ${id} is ${transfer.status}: nothing has been shipped yet`,
          {
            status: transfer.status,
          },
        );
      }
      const qty = receivedQty ?? transfer.shippedQty;
      if (qty > transfer.shippedQty) {
        throw new DomainError(ErrorCode.CONFLICT, `Received ${qty} but only ${transfer.shippedQty} were shipped`);
      }
      const row = stock.find(transfer.sku);
      if (!row) throw new DomainError(ErrorCode.NOT_FOUND, `Unknown SKU: ${transfer.sku}`, { skus: [transfer.sku] });
      const short = transfer.shippedQty - qty;
      const event = ledger.append(
        {
          type: 'transfer.received',
          sku: transfer.sku,
          delta: qty,
          reservedDelta: 0,
          ref: id,
          reason: short > 0 ? `short by ${short}` : undefined,
        },
        row,
      );
      if (short > 0) {
        deps.discrepancies.insert({
          id: newId(),
          kind: 'transfer_short',
          sku: transfer.sku,
          expected: transfer.shippedQty,
          actual: qty,
          ref: id,
          createdAt: event.occurredAt,
          resolvedAt: null,
        });
      }
      const received = { status: 'received' as const, receivedQty: qty, updatedAt: event.occurredAt };
      transfers.update(id, received);
      return { ...transfer, ...received };
    },
  };
}
export type TransferService = ReturnType<typeof createTransferService>;
