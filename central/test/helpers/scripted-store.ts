import { chainEvent, type EventType, GENESIS_HASH, newId, type StockEvent } from '@stocksync/shared';

/**
 * A store's outbox under the test's control: exactly the events asked for (receipts, transfer
 * shipments and receipts with their ref), validly chained, with onHand/version tracked per SKU.
 */
export class ScriptedStore {
  private seq = 0;
  private prevHash = GENESIS_HASH;
  private readonly stock = new Map<string, { onHand: number; version: number }>();

  constructor(readonly storeId: string) {}

  event(type: EventType, sku: string, delta: number, ref?: string): StockEvent {
    const state = this.stock.get(sku) ?? { onHand: 0, version: 0 };
    const after = { onHand: state.onHand + delta, version: state.version + 1 };
    if (after.onHand < 0) throw new Error(`${this.storeId}/${sku} would go negative`);
    this.stock.set(sku, after);
    this.seq += 1;
    const event = chainEvent(
      {
        id: newId(),
        schema: 1,
        storeId: this.storeId,
        seq: this.seq,
        type,
        sku,
        delta,
        reservedDelta: 0,
        onHand: after.onHand,
        reserved: 0,
        version: after.version,
        occurredAt: new Date().toISOString(),
        ...(ref !== undefined ? { ref } : {}),
      },
      this.prevHash,
    );
    this.prevHash = event.hash;
    return event;
  }

  receive(sku: string, qty: number): StockEvent {
    return this.event('stock.received', sku, qty);
  }

  ship(transferId: string, sku: string, qty: number): StockEvent {
    return this.event('transfer.shipped', sku, -qty, transferId);
  }

  arrive(transferId: string, sku: string, qty: number): StockEvent {
    return this.event('transfer.received', sku, qty, transferId);
  }

  get lastSeq(): number {
    return this.seq;
  }

  onHand(sku: string): number {
    return this.stock.get(sku)?.onHand ?? 0;
  }
}
