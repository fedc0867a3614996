import type { StockEvent } from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';
import { createCommandOutboxRepository, type OutboxCommand } from '../db/command-outbox-repository';
import type { Database } from '../db/database';
import { createDiscrepanciesRepository, type NewDiscrepancy } from '../db/discrepancies-repository';
import { createTransfersRepository, type TransferRow, type TransfersRepository } from '../db/transfers-repository';
import type { ApplyHook } from './apply-batch';
import { transferCommands } from './transfer-commands';

type Effects = { commands: OutboxCommand[]; discrepancies: NewDiscrepancy[] };

const isTransferEvent = (e: StockEvent): e is StockEvent & { ref: string } =>
  (e.type === 'transfer.shipped' || e.type === 'transfer.received') && e.ref !== undefined;

/** The goods left the source: in transit, even if HQ cancelled meanwhile (the store was offline). */
async function onShipped(
  repo: TransfersRepository,
  transfer: TransferRow,
  event: StockEvent,
  effects: Effects,
): Promise<TransferRow> {
  if (transfer.status === 'in_transit' || transfer.status === 'received') return transfer;
  const shipped = -event.delta;
  const at = new Date(event.occurredAt);
  if (transfer.status === 'cancelled') {
    effects.discrepancies.push({
      kind: 'transfer_conflict',
      storeId: transfer.fromStoreId,
      sku: transfer.sku,
      expected: 0,
      actual: shipped,
      ref: transfer.id,
    });
  }
  const updated = await repo.update(transfer.id, {
    status: 'in_transit',
    shippedQty: shipped,
    shippedAt: at,
    updatedAt: new Date(),
  });
  effects.commands.push(...transferCommands('transfer.in_transit', updated, [updated.toStoreId], at, shipped));
  return updated;
}

/** The goods arrived: received; less than shipped is a shortfall HQ must see. */
async function onReceived(
  repo: TransfersRepository,
  transfer: TransferRow,
  event: StockEvent,
  effects: Effects,
): Promise<TransferRow> {
  if (transfer.status === 'received') return transfer;
  const received = event.delta;
  const expected = transfer.shippedQty ?? transfer.qty;
  if (received < expected) {
    effects.discrepancies.push({
      kind: 'transfer_short',
      storeId: transfer.toStoreId,
      sku: transfer.sku,
      expected,
      actual: received,
      ref: transfer.id,
    });
  }
  const updated = await repo.update(transfer.id, {
    status: 'received',
    receivedQty: received,
    receivedAt: new Date(event.occurredAt),
    updatedAt: new Date(),
  });
  const at = new Date(event.occurredAt);
  effects.commands.push(...transferCommands('transfer.received', updated, [updated.fromStoreId], at, received));
  return updated;
}

/** An event that names a transfer central does not have, or from the wrong store/SKU: kept as evidence. */
function mismatch(event: StockEvent, transfer: TransferRow | undefined): NewDiscrepancy | undefined {
  const store = event.type === 'transfer.shipped' ? transfer?.fromStoreId : transfer?.toStoreId;
  if (transfer && store === event.storeId && transfer.sku === event.sku) return undefined;
  return {
    kind: 'transfer_conflict',
    storeId: event.storeId,
    sku: event.sku,
    expected: 0,
    actual: Math.abs(event.delta),
    ref: event.ref ?? null,
  };
}

/**
 * Moves transfers along as the stores' shipped/received events are applied (inside the apply
 * transaction: a duplicate event never gets here, a rolled-back batch leaves no trace). The command
 * to the target commits with the transition; the relay is woken after the commit.
 */
export function createTransferApplyHook(deps: { onCommands: () => void; log: FastifyBaseLogger }): ApplyHook {
  const hook = async (tx: Database, applied: readonly StockEvent[]) => {
    const events = applied.filter(isTransferEvent);
    if (events.length === 0) return undefined;
    const repo = createTransfersRepository(tx);
    const locked = await repo.lockMany([...new Set(events.map((e) => e.ref))].sort());
    const effects: Effects = { commands: [], discrepancies: [] };
    for (const event of events) {
      const transfer = locked.get(event.ref);
      const wrong = mismatch(event, transfer);
      if (wrong || !transfer) {
        deps.log.warn({ eventId: event.id, transferId: event.ref }, 'transfer event does not match a transfer');
        if (wrong) effects.discrepancies.push(wrong);
        continue;
      }
      const next =
        event.type === 'transfer.shipped'
          ? await onShipped(repo, transfer, event, effects)
          : await onReceived(repo, transfer, event, effects);
      locked.set(next.id, next);
    }
    const discrepancies = createDiscrepanciesRepository(tx);
    for (const found of effects.discrepancies) await discrepancies.record(found);
    await createCommandOutboxRepository(tx).enqueue(effects.commands);
    return effects.commands.length > 0 ? deps.onCommands : undefined;
  };
  return Object.assign(hook, { relevant: isTransferEvent });
}
