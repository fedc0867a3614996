import type { EventType, StockEvent } from '@stocksync/shared';
import { StoreEventFactory } from './event-factory';

/**
 * A store's outbox under the test's control: exactly the events asked for (receipts, transfer
 * shipments and receipts with their ref), validly chained, with onHand/version tracked per SKU.
 */
export class ScriptedStore extends StoreEventFactory {
  event(type: EventType, sku: string, delta: number, ref?: string): StockEvent {
    if (this.onHand(sku) + delta < 0) throw new Error(`${this.storeId}/${sku} would go negative`);
    return this.append(type, sku, delta, 0, ref, new Date().toISOString());
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

  onHand(sku: string): number {
    return this.stock.get(sku)?.onHand ?? 0;
  }
}
