import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedStock, uniqueSku } from './support/factories';
import { expectStoreInvariants } from './support/invariants';
import { createTestStore, type TestStore } from './support/test-store';

describe('Idempotency-Key', () => {
  let store: TestStore;
  let sku: string;
  beforeEach(async () => {
    store = await createTestStore();
    sku = uniqueSku();
    await seedStock(store.app, [{ sku, onHand: 100 }]);
  });
  afterEach(async () => {
    await store.close();
  });

  const sell = (key: string, qty = 1) =>
    store.request({
      method: 'POST',
      url: '/sales',
      headers: { 'idempotency-key': key },
      payload: { lines: [{ sku, qty }] },
    });
  const onHand = () => store.app.sqlite.prepare('select on_hand from stock where sku = ?').pluck().get(sku);

  it('a retry gets the first answer and sells once', async () => {
    const first = await sell('ticket-1');
    const retry = await sell('ticket-1');
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(onHand()).toBe(99);
  });

  it('concurrent duplicates of one key apply once', async () => {
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => sell('ticket-2', 2)));
    const bodies = results.map((r) => (r.status === 'fulfilled' ? r.value.json() : null));
    expect(new Set(bodies.map((b) => b?.id)).size).toBe(1);
    expect(onHand()).toBe(98);
    expectStoreInvariants(store.app.sqlite);
  });

  it('the same key with another body is refused with IDEMPOTENCY_MISMATCH', async () => {
    await sell('ticket-3', 1);
    const other = await sell('ticket-3', 5);
    expect(other.statusCode).toBe(409);
    expect(other.json().code).toBe('IDEMPOTENCY_MISMATCH');
    expect(onHand()).toBe(99);
  });

  it('a key is scoped to its route: the same key on another route is a different request', async () => {
    await sell('shared-key');
    const receipt = await store.request({
      method: 'POST',
      url: '/receipts',
      headers: { 'idempotency-key': 'shared-key' },
      payload: { lines: [{ sku, qty: 1 }] },
    });
    expect(receipt.statusCode).toBe(201);
    expect(onHand()).toBe(100);
  });

  it('a failed attempt is not remembered: the retry is judged afresh', async () => {
    const tooMany = await sell('ticket-4', 500);
    expect(tooMany.statusCode).toBe(409);
    await store.request({ method: 'POST', url: '/receipts', payload: { lines: [{ sku, qty: 400 }] } });
    const retry = await sell('ticket-4', 500);
    expect(retry.statusCode).toBe(201);
    expect(onHand()).toBe(0);
  });

  it('holds and confirms honour it too', async () => {
    const body = { sku, qty: 3, ttlSeconds: 60 };
    const a = await store.request({
      method: 'POST',
      url: '/reservations',
      headers: { 'idempotency-key': 'h1' },
      payload: body,
    });
    const b = await store.request({
      method: 'POST',
      url: '/reservations',
      headers: { 'idempotency-key': 'h1' },
      payload: body,
    });
    expect(b.json().id).toBe(a.json().id);
    expect(store.app.sqlite.prepare('select reserved from stock where sku = ?').pluck().get(sku)).toBe(3);
  });
});
