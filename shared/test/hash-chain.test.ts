import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import {
  canonicalEvent,
  chainEvent,
  GENESIS_HASH,
  newId,
  parseStockEvent,
  type StockEvent,
  verifyChain,
} from '../src/index';

function chain(count: number): StockEvent[] {
  const events: StockEvent[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= count; seq++) {
    const event = chainEvent(
      {
        id: newId(),
        schema: 1,
        storeId: 's1',
        seq,
        type: 'stock.sold',
        sku: 'SKU-1',
        delta: -1,
        reservedDelta: 0,
        onHand: 100 - seq,
        reserved: 0,
        version: seq,
        occurredAt: new Date(1_700_000_000_000 + seq).toISOString(),
      },
      prev,
    );
    events.push(event);
    prev = event.hash;
  }
  return events;
}

describe('hash chain', () => {
  it('verifies an intact chain and each event validates against the envelope schema', () => {
    const events = chain(5);
    expect(verifyChain(events)).toBeNull();
    for (const e of events) expect(parseStockEvent(JSON.parse(JSON.stringify(e)))).toEqual(e);
  });

  it('is independent of key order (canonical JSON)', () => {
    const [event] = chain(1);
    const reordered = Object.fromEntries(Object.entries(event!).reverse()) as StockEvent;
    expect(verifyChain([reordered])).toBeNull();
  });

  it('detects tampering, a missing event and a replay', () => {
    const events = chain(4);
    const tampered = events.map((e) => (e.seq === 2 ? { ...e, delta: -5 } : e));
    expect(verifyChain(tampered)).toEqual({ seq: 2, reason: 'hash-mismatch' });
    expect(verifyChain([events[0]!, events[2]!])).toEqual({ seq: 3, reason: 'seq-gap' });
    const relinked = chainEvent({ ...events[2]!, seq: 2 }, 'f'.repeat(64));
    expect(verifyChain([events[0]!, relinked])).toEqual({ seq: 2, reason: 'prev-hash-mismatch' });
  });

  it('rejects envelopes with unknown fields or bad values', () => {
    const [event] = chain(1);
    expect(() => parseStockEvent({ ...event, extra: 1 })).toThrow();
    expect(() => parseStockEvent({ ...event, occurredAt: 'yesterday' })).toThrow();
    expect(() => parseStockEvent({ ...event, type: 'stock.stolen' })).toThrow();
  });
});

describe('canonical form', () => {
  it('equals RFC 8785 canonicalization for every envelope shape, escapes included', () => {
    const [base] = chain(1);
    const variants = [
      base!,
      { ...base!, ref: 'PO-"77"\\n\u00e9\u2028', reason: 'count \ud83d\udce6 <ok>' },
      { ...base!, delta: -1_000_000, onHand: 0, reserved: 2 ** 40 },
      { ...base!, ref: undefined, reason: undefined },
      // Not an envelope field: the general path sorts it in.
      { ...base!, aField: 'x', zField: 3 },
    ];
    for (const event of variants) {
      const { hash: _hash, ...rest } = event;
      expect(canonicalEvent(event)).toBe(canonicalize(rest));
    }
  });
});
