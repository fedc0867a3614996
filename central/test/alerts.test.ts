import type { AddressInfo } from 'node:net';
import { type AlertMessage, natsNames } from '@stocksync/shared';
import { publishProduct } from '@stocksync/shared/testing';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../src/db/database';
import { type CentralWithStores, startCentralWithStores } from './helpers/central-with-stores';
import { openSse } from './helpers/sse-client';
import { eventually, type TestStore } from './helpers/store-fixture';
import { ADMIN_TOKEN, VIEWER_TOKEN } from './helpers/test-env';

const viewer = { authorization: `Bearer ${VIEWER_TOKEN}` };
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
type Page<T> = { items: T[]; nextCursor: string | null };

describe('low-stock alerts (central + a real store node)', () => {
  let central: CentralWithStores<'s1'>;
  let app: FastifyInstance;
  let baseUrl: string;
  let store: TestStore;
  const published: AlertMessage[] = [];

  const list = async (query: string) => {
    const res = await app.inject({ method: 'GET', url: `/alerts?${query}`, headers: viewer });
    return { status: res.statusCode, body: res.json() as Page<AlertMessage> };
  };
  const alertsOf = async (sku: string) =>
    rowsOf<{ id: string; status: string; available: number; min_stock: number }>(
      await app.db.execute(
        sql`select id::text, status, available, min_stock from alerts where store_id = 's1' and sku = ${sku} order by id`,
      ),
    );
  const projectedVersion = async (sku: string) =>
    rowsOf<{ version: number }>(
      await app.db.execute(sql`select version from stock where store_id = 's1' and sku = ${sku}`),
    )[0]?.version ?? 0;
  /** A store movement, then wait until central applied it (so alert state is settled). */
  async function move(sku: string, path: '/sales' | '/receipts', qty: number) {
    const before = (await store.stock(sku)).version;
    const res = await store.call('POST', path, { lines: [{ sku, qty }] });
    expect(res.status).toBe(201);
    await eventually(
      () => projectedVersion(sku),
      (v) => v > before,
    );
  }
  async function product(sku: string, defaultMinStock: number) {
    await app.db.execute(
      sql`insert into products (sku, name, price, default_min_stock) values (${sku}, ${sku}, '1.00', ${defaultMinStock})`,
    );
    await publishProduct(central.nc, central.prefix, sku);
    await eventually(
      () => store.call('GET', `/stock/${sku}`),
      (r) => r.status === 200,
    );
  }

  beforeAll(async () => {
    central = await startCentralWithStores({
      driver: 'postgres',
      env: { SSE_HEARTBEAT_MS: '200' },
      stores: { s1: {} },
    });
    app = central.app;
    store = central.stores.s1;
    // Nothing can alert yet (no product, no movement), so subscribing after start-up misses nothing.
    central.nc.subscribe(natsNames(central.prefix).alertsSubject('s1'), {
      callback: (_err, msg) => {
        published.push(msg.json<AlertMessage>());
      },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => central?.stop());

  it('opens one alert per crossing below the minimum and resolves it on recovery; SSE and NATS see both', async () => {
    await product('L-1', 5);
    await move('L-1', '/receipts', 10);
    const sse = await openSse(`${baseUrl}/alerts/stream?storeId=s1`, viewer);
    expect([sse.status, sse.contentType]).toEqual([200, 'text/event-stream']);
    await eventually(
      async () => sse.events.map((e) => e.event),
      (events) => events.includes('ready'),
    );
    expect(await alertsOf('L-1')).toEqual([]);

    await move('L-1', '/sales', 6); // available 4 < 5: opens
    await move('L-1', '/sales', 1); // 3: still below, no second alert
    const held = await store.call<{ id: string }>('POST', '/reservations', { sku: 'L-1', qty: 1, ttlSeconds: 600 });
    expect(held.status).toBe(201); // available 2 (reserved counts)
    await eventually(
      () => projectedVersion('L-1'),
      (v) => v === 4,
    );
    const open = await alertsOf('L-1');
    expect(open).toEqual([{ id: expect.any(String), status: 'open', available: 4, min_stock: 5 }]);

    await move('L-1', '/receipts', 10); // available 12: resolves
    expect(await alertsOf('L-1')).toEqual([{ id: open[0]?.id, status: 'resolved', available: 12, min_stock: 5 }]);
    await move('L-1', '/sales', 9); // available 3: a new crossing opens a new alert
    const after = await alertsOf('L-1');
    expect(after.map((a) => a.status)).toEqual(['resolved', 'open']);

    const id = open[0]?.id;
    const seen = (list: { id: string; status: string }[]) => list.filter((a) => a.id === id).map((a) => a.status);
    const streamed = () => sse.events.filter((e) => e.event === 'alert').map((e) => JSON.parse(e.data) as AlertMessage);
    await eventually(
      async () => seen(streamed()),
      (s) => s.length >= 2,
    );
    expect(seen(streamed())).toEqual(['open', 'resolved']);
    expect(seen(published)).toEqual(['open', 'resolved']);
    expect(published.find((a) => a.id === id && a.status === 'open')).toMatchObject({
      storeId: 's1',
      sku: 'L-1',
      available: 4,
      minStock: 5,
      resolvedAt: null,
    });
    expect(sse.comments).toContain('heartbeat');
    await sse.close();
    await eventually(
      async () => app.alertHub.listenerCount,
      (n) => n === 0,
    );
  });

  it('a per-store minimum overrides the product default; a new stream starts with the open alerts', async () => {
    await product('L-2', 0);
    await move('L-2', '/receipts', 3);
    await app.db.execute(sql`update stock set min_stock = 2 where store_id = 's1' and sku = 'L-2'`);
    await move('L-2', '/sales', 2);
    expect((await alertsOf('L-2')).map((a) => [a.status, a.available, a.min_stock])).toEqual([['open', 1, 2]]);

    const sse = await openSse(`${baseUrl}/alerts/stream`, viewer);
    await eventually(
      async () => sse.events.map((e) => e.event),
      (events) => events.includes('ready'),
    );
    const snapshot = sse.events.filter((e) => e.event === 'alert').map((e) => JSON.parse(e.data) as AlertMessage);
    expect(snapshot.map((a) => `${a.sku}:${a.status}`).sort()).toEqual(['L-1:open', 'L-2:open']);
    await sse.close();
  });

  it('lists alerts by status, store and SKU with keyset pagination', async () => {
    const open = await list('status=open&storeId=s1');
    expect(open.body.items.map((a) => a.sku).sort()).toEqual(['L-1', 'L-2']);
    expect((await list('status=resolved')).body.items.map((a) => a.sku)).toEqual(['L-1']);
    expect((await list('sku=L-1')).body.items.map((a) => a.status)).toEqual(['open', 'resolved']);
    const first = await list('limit=2');
    expect(first.body.items).toHaveLength(2);
    const rest = await list(`limit=2&cursor=${first.body.nextCursor}`);
    expect(rest.body.items).toHaveLength(1);
    expect(rest.body.nextCursor).toBeNull();
    expect(new Set([...first.body.items, ...rest.body.items].map((a) => a.id)).size).toBe(3);
    expect((await list('status=closed')).status).toBe(400);
    const anonymous = await app.inject({ method: 'GET', url: '/alerts/stream' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('a new minimum at HQ opens or resolves the alert at once, with no stock movement', async () => {
    await product('L-3', 0);
    await move('L-3', '/receipts', 6);
    const put = async (url: string, payload: object) => {
      const res = await app.inject({ method: 'PUT', url, headers: admin, payload });
      expect(res.statusCode).toBe(200);
    };
    const state = async () => (await alertsOf('L-3')).map((a) => [a.status, a.available, a.min_stock]);

    await put('/stores/s1/min-stock/L-3', { minStock: 8 }); // 6 < 8
    expect(await state()).toEqual([['open', 6, 8]]);
    await put('/stores/s1/min-stock/L-3', { minStock: null }); // back to the product default, 0
    expect(await state()).toEqual([['resolved', 6, 8]]);
    await put('/products/L-3', { name: 'L-3', price: '1.00', defaultMinStock: 10 }); // every store on the default
    expect(await state()).toEqual([
      ['resolved', 6, 8],
      ['open', 6, 10],
    ]);
    await put('/stores/s1/min-stock/L-3', { minStock: 2 });
    await put('/products/L-3', { name: 'L-3', price: '1.00', defaultMinStock: 20 }); // the store's own 2 holds
    expect(await state()).toEqual([
      ['resolved', 6, 8],
      ['resolved', 6, 10],
    ]);
    await eventually(
      async () => published.filter((a) => a.sku === 'L-3').map((a) => a.status),
      (statuses) => statuses.length >= 4,
    );
    expect(published.filter((a) => a.sku === 'L-3').map((a) => `${a.status}:${a.minStock}`)).toEqual([
      'open:8',
      'resolved:8',
      'open:10',
      'resolved:10',
    ]);
  });

  it('a deactivated product resolves its alert and opens none; reactivated, it is evaluated again', async () => {
    await product('L-4', 5);
    await move('L-4', '/receipts', 3);
    const state = async () => (await alertsOf('L-4')).map((a) => [a.status, a.available]);
    expect(await state()).toEqual([['open', 3]]);
    // HQ's inventory agrees with the alert: the row was born on the apply path (no minimum of its own),
    // so the product's default is its minimum.
    const lowAtHq = async () =>
      (await app.inject({ method: 'GET', url: '/stores/s1/inventory?lowStock=true&skuPrefix=L-4', headers: viewer }))
        .json()
        .items.map((i: { sku: string; minStock: number; lowStock: boolean }) => [i.sku, i.minStock, i.lowStock]);
    expect(await lowAtHq()).toEqual([['L-4', 5, true]]);

    const removed = await app.inject({ method: 'DELETE', url: '/products/L-4', headers: admin });
    expect(removed.statusCode).toBe(200);
    expect(await state()).toEqual([['resolved', 3]]); // nobody restocks a discontinued product
    expect(await lowAtHq()).toEqual([]);
    await eventually(
      async () => (await store.call<{ active: boolean }>('GET', '/products/L-4')).body.active,
      (active) => active === false,
    );
    await move('L-4', '/receipts', 1); // 4 < 5, but the product is no longer sold
    expect(await state()).toEqual([['resolved', 3]]);

    const restored = await app.inject({
      method: 'PUT',
      url: '/products/L-4',
      headers: admin,
      payload: { name: 'L-4', price: '1.00', defaultMinStock: 5, active: true },
    });
    expect(restored.statusCode).toBe(200);
    expect(await state()).toEqual([
      ['resolved', 3],
      ['open', 4],
    ]);
  });
});
