import { DomainError, ErrorCode } from '@stocksync/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedStock, uniqueSku } from './support/factories';
import { expectStoreInvariants } from './support/invariants';
import { createTestStore, type TestStore } from './support/test-store';

describe('group commit', () => {
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

  it('writes submitted together share one commit, and a failing one leaves no trace or seq gap', async () => {
    const { app } = store;
    const flushesBefore = await metric(app, 'store_write_batch_size_count');
    const jobs = [
      app.writes.submit(() => app.inventory.sell([{ sku, qty: 1 }])),
      app.writes.submit(() => {
        app.inventory.sell([{ sku, qty: 2 }]);
        throw new DomainError(ErrorCode.CONFLICT, 'changed my mind after writing');
      }),
      app.writes.submit(() => app.inventory.sell([{ sku, qty: 3 }])),
    ];
    const results = await Promise.allSettled(jobs);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await metric(app, 'store_write_batch_size_count')).toBe(flushesBefore + 1);
    const sold = app.sqlite.prepare(`select seq, delta from ledger where type = 'stock.sold' order by seq`).all();
    expect(sold).toEqual([
      { seq: 2, delta: -1 },
      { seq: 3, delta: -3 },
    ]);
    expect(app.sqlite.prepare('select on_hand from stock where sku = ?').pluck().get(sku)).toBe(96);
    expectStoreInvariants(app.sqlite);
  });

  it('exposes sales and outbox depth as Prometheus metrics', async () => {
    await store.request({ method: 'POST', url: '/sales', payload: { lines: [{ sku, qty: 1 }] } });
    const text = (await store.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/^store_sales_total\{service="store-node"\} 1$/m);
    expect(text).toMatch(/^store_outbox_pending\{service="store-node"\} 2$/m);
    expect(text).toContain('http_request_duration_seconds_bucket');
  });
});

async function metric(app: TestStore['app'], name: string): Promise<number> {
  const text = await app.metrics.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
