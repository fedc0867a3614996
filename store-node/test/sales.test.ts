import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedStock, uniqueSku } from './support/factories';
import { expectStoreInvariants, snapshotState } from './support/invariants';
import { createTestStore, type TestStore } from './support/test-store';

describe('POST /sales', () => {
  let store: TestStore;
  beforeEach(async () => {
    store = await createTestStore();
  });
  afterEach(async () => {
    await store.close();
  });

  it('sells every line at once and records one versioned event per SKU', async () => {
    const [a, b] = [uniqueSku(), uniqueSku()];
    await seedStock(store.app, [
      { sku: a, onHand: 10 },
      { sku: b, onHand: 5 },
    ]);
    const res = await store.request({
      method: 'POST',
      url: '/sales',
      payload: {
        lines: [
          { sku: a, qty: 2 },
          { sku: b, qty: 1 },
          { sku: a, qty: 1 },
        ],
      },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.lines).toEqual([
      { sku: a, qty: 3, onHand: 7, reserved: 0, available: 7, version: 2 },
      { sku: b, qty: 1, onHand: 4, reserved: 0, available: 4, version: 2 },
    ]);
    const stock = (await store.request({ method: 'GET', url: `/stock/${a}` })).json();
    expect(stock).toEqual({ sku: a, onHand: 7, reserved: 0, available: 7, minStock: 0, version: 2, low: false });
    const sold = store.app.sqlite.prepare(`select type, delta, ref from ledger where type = 'stock.sold'`).all();
    expect(sold).toEqual([
      { type: 'stock.sold', delta: -3, ref: body.id },
      { type: 'stock.sold', delta: -1, ref: body.id },
    ]);
    expectStoreInvariants(store.app.sqlite);
  });

  it('sells nothing when any line is short and names the short lines', async () => {
    const [a, b] = [uniqueSku(), uniqueSku()];
    await seedStock(store.app, [
      { sku: a, onHand: 10 },
      { sku: b, onHand: 1 },
    ]);
    const before = snapshotState(store.app.sqlite);
    const res = await store.request({
      method: 'POST',
      url: '/sales',
      payload: {
        lines: [
          { sku: a, qty: 2 },
          { sku: b, qty: 2 },
        ],
      },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      code: 'INSUFFICIENT_STOCK',
      lines: [{ sku: b, requested: 2, available: 1 }],
    });
    expect(snapshotState(store.app.sqlite)).toBe(before);
  });

  it('refuses a SKU the store has never heard of, and an inactive product', async () => {
    const [a, gone] = [uniqueSku(), uniqueSku()];
    await seedStock(store.app, [
      { sku: a, onHand: 3 },
      { sku: gone, onHand: 3, product: { active: false } },
    ]);
    const before = snapshotState(store.app.sqlite);
    const unknown = await store.request({
      method: 'POST',
      url: '/sales',
      payload: {
        lines: [
          { sku: 'NOPE-1', qty: 1 },
          { sku: a, qty: 1 },
        ],
      },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'NOT_FOUND', skus: ['NOPE-1'] });
    const inactive = await store.request({
      method: 'POST',
      url: '/sales',
      payload: { lines: [{ sku: gone, qty: 1 }] },
    });
    expect(inactive.statusCode).toBe(409);
    expect(inactive.json().code).toBe('CONFLICT');
    expect(snapshotState(store.app.sqlite)).toBe(before);
  });

  it('200 concurrent buyers for the last 10 units: exactly 10 succeed, never oversold', async () => {
    const sku = uniqueSku();
    await seedStock(store.app, [{ sku, onHand: 10 }]);
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, () =>
        store.request({ method: 'POST', url: '/sales', payload: { lines: [{ sku, qty: 1 }] } }),
      ),
    );
    const codes = results.map((r) => (r.status === 'fulfilled' ? r.value.statusCode : 0));
    expect(codes.filter((c) => c === 201)).toHaveLength(10);
    expect(codes.filter((c) => c === 409)).toHaveLength(190);
    const availableSeen = store.app.sqlite
      .prepare('select min(on_hand - reserved) as min from ledger where sku = ?')
      .get(sku);
    expect(availableSeen).toEqual({ min: 0 });
    expect((await store.request({ method: 'GET', url: `/stock/${sku}` })).json()).toMatchObject({
      onHand: 0,
      available: 0,
    });
    expectStoreInvariants(store.app.sqlite);
  });
});
