import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CENTRAL_SERVER, ServiceProcess, STORE_SERVER, TestNatsServer } from '@stocksync/shared/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, http } from './helpers/http-client';

const ADMIN = 'admin-token-catalog';
const STORE_TOKEN = 'store-token-catalog';
const PG = 'postgres://postgres@127.0.0.1:5432';

type StoreProduct = { sku: string; name: string; price: string; category: string; active: boolean };
type StoreStock = { sku: string; onHand: number; minStock: number };

describe('the catalog reaches every store, including one that was offline (real processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stocksync-catalog-'));
  const database = `catalog_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${PG}/postgres` });
  let nats: TestNatsServer;
  let central: ServiceProcess;
  const stores: ServiceProcess[] = [];
  let common: Record<string, string>;

  const hq = (method: string, path: string, body?: unknown) => http(central.url, ADMIN, method, path, body);
  const at = <T>(store: ServiceProcess, method: string, path: string, body?: unknown) =>
    http<T>(store.url, STORE_TOKEN, method, path, body);
  const startStore = async (storeId: string) => {
    const store = await ServiceProcess.start(storeId, STORE_SERVER, {
      ...common,
      STORE_ID: storeId,
      STORE_TOKEN,
      DATA_DIR: join(dir, storeId),
    });
    stores.push(store);
    return store;
  };
  const storeProducts = async (store: ServiceProcess) => {
    const res = await at<{ items?: StoreProduct[] }>(store, 'GET', '/products?limit=100');
    // Say what answered instead (a CI run once got a body without items here).
    if (!Array.isArray(res.body?.items)) {
      throw new Error(`GET /products at ${store.name}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    return res.body.items;
  };

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`create database ${database}`);
    nats = await TestNatsServer.start();
    common = { NATS_URL: nats.url, NATS_PREFIX: `cat${randomBytes(3).toString('hex')}`, LOG_LEVEL: 'warn' };
    central = await ServiceProcess.start('central', CENTRAL_SERVER, {
      ...common,
      DATABASE_URL: `${PG}/${database}`,
      DATA_DIR: join(dir, 'central'),
      HQ_ADMIN_TOKEN: ADMIN,
      HQ_VIEWER_TOKEN: 'viewer-token-catalog',
      CATALOG_PUBLISH_INTERVAL_MS: '500',
    });
  });
  afterAll(async () => {
    await Promise.allSettled([...stores.map((s) => s.stop()), central?.stop()]);
    await nats?.stop();
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a store started after the changes gets all of them; a running store follows live; inactive is refused', async () => {
    const created = [
      { sku: 'CAT-1', name: 'Lamp', price: '12.50', category: 'home', defaultMinStock: 2 },
      { sku: 'CAT-2', name: 'Bulb', price: '0.10', category: 'home' },
      { sku: 'CAT-3', name: 'Shade', price: '7.3333', category: 'home' },
      { sku: 'CAT-4', name: 'Old lamp', price: '3.00', category: 'home' },
    ];
    for (const p of created) expect((await hq('POST', '/products', p)).status).toBe(201);
    expect((await hq('PUT', '/products/CAT-2', { name: 'LED bulb', price: '0.20', category: 'home' })).status).toBe(
      200,
    );
    expect((await hq('DELETE', '/products/CAT-4')).body).toMatchObject({ active: false });
    expect((await hq('PUT', '/stores/s1/min-stock/CAT-3', { minStock: 6 })).status).toBe(200);

    // s1 did not exist while all that happened.
    const s1 = await startStore('s1');
    const expected = [
      { sku: 'CAT-1', name: 'Lamp', price: '12.50', active: true },
      { sku: 'CAT-2', name: 'LED bulb', price: '0.20', active: true },
      { sku: 'CAT-3', name: 'Shade', price: '7.3333', active: true },
      { sku: 'CAT-4', name: 'Old lamp', price: '3.00', active: false },
    ];
    const seen = await eventually(
      'catalog at s1',
      () => storeProducts(s1),
      (items) => items.length === 4 && items.every((p, i) => p.name === expected[i]?.name),
    );
    expect(seen.map(({ sku, name, price, active }) => ({ sku, name, price, active }))).toEqual(expected);
    await eventually(
      'min stock at s1',
      async () => (await at<StoreStock>(s1, 'GET', '/stock/CAT-3')).body.minStock,
      (min) => min === 6,
    );
    expect((await at<StoreStock>(s1, 'GET', '/stock/CAT-1')).body.minStock).toBe(2);

    // Live, while s1 runs: an update, a deactivation and a per-store minimum.
    expect((await at(s1, 'POST', '/receipts', { lines: [{ sku: 'CAT-1', qty: 5 }] })).status).toBe(201);
    expect((await at(s1, 'POST', '/sales', { lines: [{ sku: 'CAT-1', qty: 1 }] })).status).toBe(201);
    await hq('PUT', '/products/CAT-3', { name: 'Linen shade', price: '8.00', category: 'home' });
    await hq('DELETE', '/products/CAT-1');
    await hq('PUT', '/stores/s1/min-stock/CAT-2', { minStock: 11 });
    await eventually(
      'live changes at s1',
      async () => {
        const items = await storeProducts(s1);
        const min = (await at<StoreStock>(s1, 'GET', '/stock/CAT-2')).body.minStock;
        return { shade: items.find((p) => p.sku === 'CAT-3')?.name, lamp: items.find((p) => p.sku === 'CAT-1'), min };
      },
      (v) => v.shade === 'Linen shade' && v.lamp?.active === false && v.min === 11,
    );
    const refused = await at<{ code: string }>(s1, 'POST', '/sales', { lines: [{ sku: 'CAT-1', qty: 1 }] });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('CONFLICT');
    const unknown = await at<{ code: string }>(s1, 'POST', '/sales', { lines: [{ sku: 'NOPE-1', qty: 1 }] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
    expect((await at<StoreStock>(s1, 'GET', '/stock/CAT-1')).body.onHand).toBe(4);

    // A second store gets the same catalog, and none of s1's own minimums.
    const s2 = await startStore('s2');
    await eventually(
      'catalog at s2',
      () => storeProducts(s2),
      (items) =>
        items.length === 4 &&
        items.find((p) => p.sku === 'CAT-3')?.name === 'Linen shade' &&
        items.find((p) => p.sku === 'CAT-1')?.active === false,
    );
    expect((await at<StoreStock>(s2, 'GET', '/stock/CAT-2')).body.minStock).toBe(0);
    expect((await at<StoreStock>(s2, 'GET', '/stock/CAT-3')).body.minStock).toBe(0);
  });

  it('a store that was down while the catalog changed catches up when it returns', async () => {
    const [s1] = stores;
    if (!s1) throw new Error('s1 not started');
    await s1.stop();
    await hq('POST', '/products', { sku: 'CAT-5', name: 'Desk', price: '99.99' });
    await hq('PUT', '/products/CAT-1', { name: 'Lamp again', price: '13.00', category: 'home', active: true });
    await hq('PUT', '/stores/s1/min-stock/CAT-5', { minStock: 1 });
    await s1.start();
    await eventually(
      'catch-up at s1',
      async () => ({
        items: await storeProducts(s1),
        min: (await at<StoreStock>(s1, 'GET', '/stock/CAT-5')).body.minStock,
      }),
      ({ items, min }) =>
        items.length === 5 && items.find((p) => p.sku === 'CAT-1')?.name === 'Lamp again' && min === 1,
    );
    expect((await at(s1, 'POST', '/sales', { lines: [{ sku: 'CAT-1', qty: 1 }] })).status).toBe(201);
  });
});
