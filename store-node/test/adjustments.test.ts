import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { productInput, seedStock, uniqueSku } from './support/factories';
import { expectStoreInvariants } from './support/invariants';
import { createTestStore, type TestStore } from './support/test-store';

describe('returns, receipts, adjustments and counts', () => {
  let store: TestStore;
  let sku: string;
  beforeEach(async () => {
    store = await createTestStore();
    sku = uniqueSku();
    await seedStock(store.app, [{ sku, onHand: 10, product: { defaultMinStock: 4 } }]);
  });
  afterEach(async () => {
    await store.close();
  });
  const stock = async () => (await store.request({ method: 'GET', url: `/stock/${sku}` })).json();

  it('receipts and returns add stock with their own event types and refs', async () => {
    expect(
      (await store.request({ method: 'POST', url: '/receipts', payload: { lines: [{ sku, qty: 5 }], ref: 'PO-77' } }))
        .statusCode,
    ).toBe(201);
    expect(
      (await store.request({ method: 'POST', url: '/returns', payload: { lines: [{ sku, qty: 1 }] } })).statusCode,
    ).toBe(201);
    expect(await stock()).toMatchObject({ onHand: 16, version: 3 });
    const rows = store.app.sqlite.prepare('select type, delta, ref from ledger where sku = ? order by seq').all(sku);
    expect(rows.slice(1)).toMatchObject([
      { type: 'stock.received', delta: 5, ref: 'PO-77' },
      { type: 'stock.returned', delta: 1 },
    ]);
    expectStoreInvariants(store.app.sqlite);
  });

  it('adjusts by a delta or to a counted quantity, keeping the reason', async () => {
    const damaged = await store.request({
      method: 'POST',
      url: '/adjustments',
      payload: { sku, delta: -2, reason: 'damaged' },
    });
    expect(damaged.json()).toMatchObject({ delta: -2, onHand: 8, discrepancy: null });
    const count = await store.request({
      method: 'POST',
      url: '/adjustments',
      payload: { sku, countedOnHand: 11, reason: 'cycle count' },
    });
    expect(count.json()).toMatchObject({ delta: 3, onHand: 11 });
    const reasons = store.app.sqlite
      .prepare(`select reason from ledger where type = 'stock.adjusted' order by seq`)
      .pluck()
      .all();
    expect(reasons).toEqual(['damaged', 'cycle count']);
    expectStoreInvariants(store.app.sqlite);
  });

  it('a count that leaves holds uncovered opens a discrepancy instead of dropping them', async () => {
    await store.request({ method: 'POST', url: '/reservations', payload: { sku, qty: 6, ttlSeconds: 600 } });
    const count = await store.request({
      method: 'POST',
      url: '/adjustments',
      payload: { sku, countedOnHand: 4, reason: 'shrinkage' },
    });
    expect(count.statusCode).toBe(201);
    expect(count.json()).toMatchObject({ onHand: 4, reserved: 6, available: -2, discrepancy: { uncoveredHolds: 2 } });
    const open = (await store.request({ method: 'GET', url: '/discrepancies' })).json().items;
    expect(open).toMatchObject([{ kind: 'reservations_at_risk', sku, expected: 6, actual: 4 }]);
    const sale = await store.request({ method: 'POST', url: '/sales', payload: { lines: [{ sku, qty: 1 }] } });
    expect(sale.statusCode).toBe(409);
    expect(store.app.sqlite.prepare(`select count(*) from reservations where status = 'held'`).pluck().get()).toBe(1);
    expectStoreInvariants(store.app.sqlite);
  });

  it('lists low stock (available below min stock), offline', async () => {
    await store.request({ method: 'POST', url: '/sales', payload: { lines: [{ sku, qty: 7 }] } });
    const low = (await store.request({ method: 'GET', url: '/stock?lowStock=true' })).json();
    expect(low.items).toMatchObject([{ sku, available: 3, minStock: 4, low: true }]);

    // HQ discontinued it (as the catalog follower applies it): no longer low, as at central.
    const at = new Date(store.app.clock.now()).toISOString();
    await store.app.writes.submit(() =>
      store.app.repos.products.upsert([productInput(sku, { defaultMinStock: 4, active: false })], at),
    );
    expect((await store.request({ method: 'GET', url: '/stock?lowStock=true' })).json().items).toEqual([]);
    expect((await store.request({ method: 'GET', url: `/stock/${sku}` })).json()).toMatchObject({
      available: 3,
      low: false,
    });
  });

  it('mixed concurrent sales, holds, returns, receipts and counts keep the ledger exact', async () => {
    const ops = Array.from({ length: 300 }, (_, i) => {
      switch (i % 6) {
        case 0:
          return store.request({ method: 'POST', url: '/sales', payload: { lines: [{ sku, qty: 2 }] } });
        case 1:
          return store.request({ method: 'POST', url: '/reservations', payload: { sku, qty: 1, ttlSeconds: 60 } });
        case 2:
          return store.request({ method: 'POST', url: '/returns', payload: { lines: [{ sku, qty: 1 }] } });
        case 3:
          return store.request({ method: 'POST', url: '/receipts', payload: { lines: [{ sku, qty: 3 }] } });
        case 4:
          return store.request({
            method: 'POST',
            url: '/adjustments',
            payload: { sku, delta: -1, reason: 'breakage' },
          });
        default:
          return store.request({ method: 'POST', url: '/sales', payload: { lines: [{ sku, qty: 1 }] } });
      }
    });
    const results = await Promise.allSettled(ops);
    for (const r of results) {
      expect(r.status).toBe('fulfilled');
      if (r.status === 'fulfilled') expect([201, 409]).toContain(r.value.statusCode);
    }
    const minAvailable = store.app.sqlite
      .prepare(`select min(on_hand - reserved) from ledger where sku = ? and type <> 'stock.adjusted'`)
      .pluck()
      .get(sku) as number;
    expect(minAvailable).toBeGreaterThanOrEqual(0);
    expectStoreInvariants(store.app.sqlite);
  });
});
