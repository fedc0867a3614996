import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './helpers/http-client';
import { type ProcessChain, startProcessChain } from './helpers/process-chain';

type Product = { sku: string };
type Transfer = { id: string; status: string };

/**
 * nats-server restarted on an empty store directory (a container recreated without its volume): every
 * stream, durable consumer and KV bucket is gone, including messages JetStream had acknowledged.
 */
describe('NATS comes back without its JetStream storage', () => {
  let chain: ProcessChain;
  beforeAll(async () => {
    chain = await startProcessChain({ name: 'jswipe', centralEnv: { CATALOG_PUBLISH_INTERVAL_MS: '500' } });
  }, 60_000);
  afterAll(() => chain?.stop());

  const skusAt = async (store: { url: string }) =>
    ((await chain.at<{ items: Product[] }>(store, 'GET', '/products?limit=100')).body.items ?? [])
      .map((p) => p.sku)
      .sort();
  const transfersAt = async (store: { url: string }) =>
    (await chain.at<{ items: Transfer[] }>(store, 'GET', '/transfers')).body.items ?? [];
  const centralOnHand = async (storeId: string, sku: string) =>
    (
      await chain.db.query<{ n: number }>('select on_hand as n from stock where store_id = $1 and sku = $2', [
        storeId,
        sku,
      ])
    ).rows[0]?.n;
  const centralCount = async (query: string) => Number((await chain.db.query<{ n: string }>(query)).rows[0]?.n);

  it('loses nothing central or a store was promised, and rebuilds streams, consumers and the catalog', async () => {
    for (const sku of ['JS-1', 'JS-2']) {
      expect((await chain.hq('POST', '/products', { sku, name: sku, price: '1.00' })).status).toBe(201);
    }
    const s1 = await chain.startStore('s1');
    const s2 = await chain.startStore('s2');
    for (const s of [s1, s2])
      await eventually(
        'catalog',
        () => skusAt(s),
        (skus) => skus.length === 2,
      );
    expect((await chain.at(s1, 'POST', '/receipts', { lines: [{ sku: 'JS-1', qty: 10 }] })).status).toBe(201);
    expect((await chain.at(s2, 'POST', '/receipts', { lines: [{ sku: 'JS-2', qty: 10 }] })).status).toBe(201);
    await eventually(
      'receipts at central',
      () => centralOnHand('s2', 'JS-2'),
      (n) => n === 10,
    );

    // In the stream when it is lost: a transfer command s2 (down) never read...
    await s2.kill9();
    const early = await chain.requestTransfer('JS-2', 's2', 's1', 1);
    await eventually(
      'command published',
      () => centralCount('select count(*) as n from command_outbox where published_at is null'),
      (n) => n === 0,
    );
    // ...and a sale s1 published (and marked sent) that central (down) never applied.
    await chain.central.kill9();
    expect((await chain.at(s1, 'POST', '/sales', { lines: [{ sku: 'JS-1', qty: 1 }] })).status).toBe(201);
    await eventually(
      'sale published',
      async () => (await chain.at<{ pending: number }>(s1, 'GET', '/sync')).body.pending,
      (n) => n === 0,
    );

    await chain.nats.restartEmpty();
    await chain.central.start();
    await s2.start();

    await eventually(
      'the lost sale at central',
      () => centralOnHand('s1', 'JS-1'),
      (n) => n === 9,
      30_000,
    );
    await eventually(
      'the lost transfer command at s2',
      async () => (await transfersAt(s2)).some((t) => t.id === early),
      (seen) => seen,
      30_000,
    );

    // New work after the loss: a sale, a product (also for a store set up now), a whole transfer.
    expect((await chain.at(s1, 'POST', '/sales', { lines: [{ sku: 'JS-1', qty: 1 }] })).status).toBe(201);
    await eventually(
      'new sale at central',
      () => centralOnHand('s1', 'JS-1'),
      (n) => n === 8,
    );
    expect((await chain.hq('POST', '/products', { sku: 'JS-3', name: 'JS-3', price: '1.00' })).status).toBe(201);
    for (const s of [s1, s2])
      await eventually(
        'new product',
        () => skusAt(s),
        (skus) => skus.includes('JS-3'),
      );
    const s3 = await chain.startStore('s3');
    expect(
      await eventually(
        'catalog at a new store',
        () => skusAt(s3),
        (skus) => skus.length === 3,
      ),
    ).toEqual(['JS-1', 'JS-2', 'JS-3']);
    const id = await chain.requestTransfer('JS-2', 's2', 's1', 2);
    await eventually('transfer at the source', async () => (await transfersAt(s2)).some((t) => t.id === id), Boolean);
    expect((await chain.at<Transfer>(s2, 'POST', `/transfers/${id}/ship`)).body.status).toBe('in_transit');
    await eventually(
      'transfer at the target',
      async () => (await chain.at<Transfer>(s1, 'POST', `/transfers/${id}/receive`)).body.status,
      (status) => status === 'received',
    );
    await eventually(
      'transfer received at central',
      async () => (await chain.hq<Transfer>('GET', `/transfers/${id}`)).body.status,
      (status) => status === 'received',
    );
    expect(await centralOnHand('s1', 'JS-2')).toBe(2);
    // Each store event once at central.
    expect(await centralCount('select count(*) - count(distinct event_id) as n from ledger')).toBe(0);
  }, 180_000);
});
