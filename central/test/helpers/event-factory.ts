import { chainEvent, type EventType, GENESIS_HASH, newId, type StockEvent } from '@stocksync/shared';
import { prng } from '@stocksync/shared/testing';

/** Deterministic PRNG so a failing run can be replayed. */
export const rng = prng;

type SkuState = { onHand: number; reserved: number; version: number };

/**
 * Stands in for a store node's outbox: valid, hash-chained events (gapless seq, version + 1 per SKU,
 * onHand/reserved never negative, reserved ≤ onHand), like the store would publish them.
 */
export class StoreEventFactory {
  private seq = 0;
  private prevHash = GENESIS_HASH;
  protected readonly stock = new Map<string, SkuState>();
  readonly events: StockEvent[] = [];

  constructor(
    readonly storeId: string,
    private readonly random: () => number = rng(1),
    private readonly startTime = Date.now() - 60_000,
  ) {}

  next(sku: string): StockEvent {
    const state = this.stock.get(sku) ?? { onHand: 0, reserved: 0, version: 0 };
    const available = state.onHand - state.reserved;
    const q = 1 + Math.floor(this.random() * 3);
    const roll = this.random();
    let type: EventType;
    let delta = 0;
    let reservedDelta = 0;
    if (state.version === 0 || available < 3 || roll < 0.15) {
      type = 'stock.received';
      delta = 10 + Math.floor(this.random() * 40);
    } else if (roll < 0.6) {
      type = 'stock.sold';
      delta = -q;
    } else if (roll < 0.75) {
      type = 'reservation.held';
      reservedDelta = q;
    } else if (roll < 0.85 && state.reserved > 0) {
      type = 'reservation.released';
      reservedDelta = -Math.min(q, state.reserved);
    } else if (state.reserved > 0) {
      const n = Math.min(q, state.reserved);
      type = 'reservation.confirmed';
      delta = -n;
      reservedDelta = -n;
    } else {
      type = 'stock.returned';
      delta = 1;
    }
    return this.append(type, sku, delta, reservedDelta, type === 'stock.sold' ? `sale-${this.seq + 1}` : undefined);
  }

  /** The next event of this store's chain: stock tracked per SKU, seq gapless, hash chained. */
  append(
    type: EventType,
    sku: string,
    delta: number,
    reservedDelta: number,
    ref?: string,
    occurredAt = new Date(this.startTime + this.seq + 1).toISOString(),
  ): StockEvent {
    const state = this.stock.get(sku) ?? { onHand: 0, reserved: 0, version: 0 };
    const after = {
      onHand: state.onHand + delta,
      reserved: state.reserved + reservedDelta,
      version: state.version + 1,
    };
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
        reservedDelta,
        onHand: after.onHand,
        reserved: after.reserved,
        version: after.version,
        occurredAt,
        ...(ref !== undefined ? { ref } : {}),
      },
      this.prevHash,
    );
    this.prevHash = event.hash;
    this.events.push(event);
    return event;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** `count` events spread over `skus` at random. */
  generate(count: number, skus: readonly string[]): StockEvent[] {
    const out: StockEvent[] = [];
    for (let i = 0; i < count; i++) out.push(this.next(skus[Math.floor(this.random() * skus.length)] ?? 'SKU-0'));
    return out;
  }

  /** The store's own current stock: what central must converge to. */
  state(): Map<string, SkuState> {
    return new Map(this.stock);
  }
}

/** Round-robin merge that keeps each store's own order (like several stores publishing at once). */
export function interleave(lists: readonly (readonly StockEvent[])[]): StockEvent[] {
  const out: StockEvent[] = [];
  const max = Math.max(0, ...lists.map((l) => l.length));
  for (let i = 0; i < max; i++) for (const list of lists) if (list[i]) out.push(list[i] as StockEvent);
  return out;
}

/** Expected central projection for the given stores, keyed `${storeId}/${sku}`. */
export function expectedProjection(factories: readonly StoreEventFactory[]): Map<string, SkuState> {
  const out = new Map<string, SkuState>();
  for (const f of factories) for (const [sku, s] of f.state()) out.set(`${f.storeId}/${sku}`, s);
  return out;
}
