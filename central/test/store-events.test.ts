import { GENESIS_HASH, type StockEvent, verifyChain } from '@stocksync/shared';
import { publishProduct } from '@stocksync/shared/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CentralWithStores, startCentralWithStores } from './helpers/central-with-stores';
import { eventually } from './helpers/store-fixture';
import { VIEWER_TOKEN } from './helpers/test-env';

const viewer = { authorization: `Bearer ${VIEWER_TOKEN}` };
type EventsPage = { items: StockEvent[]; nextAfterSeq: number | null };

describe.each(['postgres', 'pglite'] as const)("a store's event history from central (%s)", (driver) => {
  let central: CentralWithStores<'s1'>;
  const get = async (url: string, headers: Record<string, string> = viewer) => {
    const res = await central.app.inject({ method: 'GET', url, headers });
    return { status: res.statusCode, body: res.json() };
  };

  beforeAll(async () => {
    central = await startCentralWithStores({ driver, stores: { s1: {} } });
    const { app, nc, prefix } = central;
    const store = central.stores.s1;
    for (const sku of ['E-1', 'E-2']) {
      await app.db.execute(sql`insert into products (sku, name, price) values (${sku}, ${sku}, '1.00')`);
      await publishProduct(nc, prefix, sku);
    }
    await eventually(
      async () => (await store.call('GET', '/stock/E-2')).status,
      (status) => status === 200,
    );
    await store.receive('E-1', 10);
    await store.receive('E-2', 5);
    expect((await store.call('POST', '/sales', { lines: [{ sku: 'E-1', qty: 3 }] })).status).toBe(201);
    expect((await store.call('POST', '/reservations', { sku: 'E-2', qty: 2, ttlSeconds: 600 })).status).toBe(201);
    expect((await store.call('POST', '/returns', { lines: [{ sku: 'E-1', qty: 1 }] })).status).toBe(201);
    await eventually(
      async () => (await get('/sync')).body.items?.find((s: { storeId: string }) => s.storeId === 's1')?.lastSeq,
      (seq) => seq === 5,
    );
  });
  afterAll(() => central?.stop());

  it('pages through the exact envelopes the store sealed: the chain verifies from genesis', async () => {
    const events: StockEvent[] = [];
    let afterSeq = 0;
    const pages: number[] = [];
    for (;;) {
      const { status, body } = await get(`/stores/s1/events?afterSeq=${afterSeq}&limit=2`);
      expect(status).toBe(200);
      const page = body as EventsPage;
      events.push(...page.items);
      pages.push(page.items.length);
      if (page.nextAfterSeq === null) break;
      afterSeq = page.nextAfterSeq;
    }
    expect(pages).toEqual([2, 2, 1]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(events.map((e) => e.type)).toEqual([
      'stock.received',
      'stock.received',
      'stock.sold',
      'reservation.held',
      'stock.returned',
    ]);
    expect(verifyChain(events, GENESIS_HASH, 0)).toBeNull(); // every field as sealed, or a hash breaks
    expect(events.at(-1)).toMatchObject({ storeId: 's1', sku: 'E-1', onHand: 8, version: 3 });

    // From the middle, the tail verifies against the head before it.
    const tail = (await get('/stores/s1/events?afterSeq=3')).body as EventsPage;
    expect(tail.items.map((e) => e.seq)).toEqual([4, 5]);
    expect(verifyChain(tail.items, events[2]?.hash, 3)).toBeNull();
  });

  it('answers 404 for an unknown store, 400 for bad input, 401 without a token', async () => {
    expect(await get('/stores/nowhere/events')).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect((await get('/stores/s1/events?afterSeq=-1')).status).toBe(400);
    expect((await get('/stores/s1/events?limit=5000')).status).toBe(400);
    expect((await get('/stores/s1/events?extra=1')).status).toBe(400);
    expect((await get('/stores/s1/events', {})).status).toBe(401);
  });
});
