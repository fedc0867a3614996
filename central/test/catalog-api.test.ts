import { natsNames } from '@stocksync/shared';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../src/db/database';
import { deleteBuckets, kvValue, send } from './helpers/catalog-helpers';
import { createBackend, startCentral } from './helpers/central-harness';
import { deleteStreams, uniquePrefix, VIEWER_TOKEN } from './helpers/test-env';

const viewer = { authorization: `Bearer ${VIEWER_TOKEN}` };
type Product = {
  sku: string;
  name: string;
  description: string;
  category: string;
  price: string;
  defaultMinStock: number;
  active: boolean;
  version: number;
  published: boolean;
};
type Page = { items: Product[]; nextCursor: string | null };

describe('catalog API (PostgreSQL + NATS)', () => {
  let backend: Awaited<ReturnType<typeof createBackend>>;
  let prefix: string;
  let app: FastifyInstance;
  const names = () => natsNames(prefix);

  beforeAll(async () => {
    backend = await createBackend('postgres');
    prefix = uniquePrefix();
    app = await startCentral({ prefix, env: backend.env });
  });
  afterAll(async () => {
    await app?.close();
    await deleteStreams(prefix);
    await deleteBuckets(prefix);
    await backend?.cleanup();
  });

  /** Every page of a list URL, following nextCursor. */
  const all = async (url: string, limit: number) => {
    const items: Product[] = [];
    let cursor: string | null = null;
    do {
      const sep = url.includes('?') ? '&' : '?';
      const res = await send(
        app,
        'GET',
        `${url}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
        undefined,
        viewer,
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const page = res.body as Page;
      expect(page.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  };

  it('creates, reads, replaces and deactivates a product; each version reaches the catalog bucket', async () => {
    const created = await send(app, 'POST', '/products', { sku: 'CR-1', name: 'Kettle', price: '12.5' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      sku: 'CR-1',
      name: 'Kettle',
      description: '',
      category: '',
      price: '12.50',
      defaultMinStock: 0,
      active: true,
      version: 1,
      published: true,
    });
    expect(await kvValue(names().catalogBucket, 'CR-1')).toMatchObject({ sku: 'CR-1', price: '12.50', active: true });

    const replaced = await send(app, 'PUT', '/products/CR-1', {
      name: 'Kettle 2L',
      description: 'steel',
      category: 'kitchen',
      price: '14.9900',
      defaultMinStock: 3,
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ name: 'Kettle 2L', price: '14.99', defaultMinStock: 3, version: 2 });
    const again = await send(app, 'PUT', '/products/CR-1', {
      name: 'Kettle 2L',
      description: 'steel',
      category: 'kitchen',
      price: '14.99',
      defaultMinStock: 3,
    });
    expect(again.body.version).toBe(2);

    const deleted = await send(app, 'DELETE', '/products/CR-1');
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ active: false, version: 3, published: true });
    const read = await send(app, 'GET', '/products/CR-1', undefined, viewer);
    expect(read.body).toMatchObject({ sku: 'CR-1', active: false, name: 'Kettle 2L', version: 3 });
    expect(await kvValue(names().catalogBucket, 'CR-1')).toMatchObject({
      active: false,
      name: 'Kettle 2L',
      category: 'kitchen',
      price: '14.99',
      defaultMinStock: 3,
    });
    expect((await send(app, 'DELETE', '/products/CR-1')).body.version).toBe(3);

    const [row] = rowsOf<{ version: number; published_version: number }>(
      await app.db.execute(sql`select version, published_version from products where sku = 'CR-1'`),
    );
    expect(row).toEqual({ version: 3, published_version: 3 });
  });

  it('refuses a duplicate sku (409 DUPLICATE_SKU), inactive or not, and answers 404 for an unknown one', async () => {
    await send(app, 'POST', '/products', { sku: 'DUP-1', name: 'A', price: '1.00' });
    const dup = await send(app, 'POST', '/products', { sku: 'DUP-1', name: 'B', price: '2.00' });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ code: 'DUPLICATE_SKU', statusCode: 409 });
    await send(app, 'DELETE', '/products/DUP-1');
    expect((await send(app, 'POST', '/products', { sku: 'DUP-1', name: 'C', price: '3.00' })).body.code).toBe(
      'DUPLICATE_SKU',
    );
    expect((await send(app, 'GET', '/products/DUP-1', undefined, viewer)).body.name).toBe('A');
    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', { name: 'x', price: '1.00' }],
      ['DELETE', undefined],
    ] as const) {
      const res = await send(app, method, '/products/NOPE-1', body);
      expect(res.status, method).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
  });

  it('keeps prices exact: NUMERIC in SQL, normalized strings out, more than 4 decimals or floats refused', async () => {
    await send(app, 'POST', '/products', { sku: 'PX-1', name: 'dime', price: '0.10', category: 'px' });
    await send(app, 'POST', '/products', { sku: 'PX-2', name: 'two dimes', price: '0.20', category: 'px' });
    await send(app, 'POST', '/products', { sku: 'PX-3', name: 'big', price: '9999999999.9999', category: 'px' });
    const [sum] = rowsOf<{ total: string }>(
      await app.db.execute(sql`select sum(price)::text as total from products where sku in ('PX-1', 'PX-2')`),
    );
    expect(sum?.total).toBe('0.3000');
    const inRange = await all('/products?category=px&minPrice=0.30&maxPrice=0.30', 10);
    expect(inRange).toEqual([]);
    expect((await all('/products?category=px&maxPrice=0.2', 10)).map((p) => p.price)).toEqual(['0.10', '0.20']);
    expect((await send(app, 'GET', '/products/PX-3', undefined, viewer)).body.price).toBe('9999999999.9999');
    expect((await send(app, 'PUT', '/products/PX-1', { name: 'dime', price: '12.3456' })).body.price).toBe('12.3456');

    for (const price of ['12.345678', '1e3', '-1.00', '01.00', '12.', '', 12.5, '99999999999.00']) {
      const res = await send(app, 'POST', '/products', { sku: 'PX-BAD', name: 'bad', price });
      expect(res.status, String(price)).toBe(400);
      expect(res.body.code).toBe('VALIDATION');
    }
    expect((await send(app, 'GET', '/products/PX-BAD', undefined, viewer)).status).toBe(404);
  });

  it('filters by category, price range (numeric, not text), text (wildcards literal) and active; pages by sku', async () => {
    const seed = [
      { sku: 'F-01', name: 'Red mug', price: '9.99', category: 'mugs' },
      { sku: 'F-02', name: 'Blue mug', price: '10.00', category: 'mugs', description: '100% ceramic' },
      { sku: 'F-03', name: 'Big mug', price: '100.00', category: 'mugs' },
      { sku: 'F-04', name: 'Teapot', price: '25.50', category: 'pots', description: 'fits a mug_set' },
      { sku: 'F-05', name: 'Old pot', price: '5.00', category: 'pots', active: false },
      { sku: 'F-06', name: 'Spoon', price: '1.25', category: 'cutlery' },
      { sku: 'F-07', name: 'Fork', price: '1.25', category: 'cutlery' },
    ];
    for (const p of seed) expect((await send(app, 'POST', '/products', p)).status).toBe(201);
    const skus = (items: Product[]) => items.map((p) => p.sku);

    expect(skus(await all('/products?category=mugs', 2))).toEqual(['F-01', 'F-02', 'F-03']);
    expect(skus(await all('/products?q=F-&minPrice=10&maxPrice=99.99', 2))).toEqual(['F-02', 'F-04']);
    expect(skus(await all('/products?q=MUG', 1))).toEqual(['F-01', 'F-02', 'F-03', 'F-04']);
    expect(skus(await all('/products?q=%25', 5))).toEqual(['F-02']);
    expect(skus(await all('/products?q=g_s', 5))).toEqual(['F-04']);
    expect(skus(await all('/products?category=pots&active=false', 5))).toEqual(['F-05']);
    expect(skus(await all('/products?category=pots&active=true', 5))).toEqual(['F-04']);
    const everything = skus(await all('/products?q=F-0', 3));
    expect(everything).toEqual(seed.map((p) => p.sku));

    const firstPage = await send(app, 'GET', '/products?q=F-0&limit=3', undefined, viewer);
    expect(firstPage.body.items).toHaveLength(3);
    expect(firstPage.body.nextCursor).toEqual(expect.any(String));
    const bad = await send(app, 'GET', '/products?cursor=not-a-cursor', undefined, viewer);
    expect(bad.body.code).toBe('VALIDATION');
  });

  it('rejects unknown fields, bad types and bad queries with 400 and changes nothing', async () => {
    const cases: [string, string, object][] = [
      ['POST', '/products', { sku: 'V-1', name: 'x', price: '1.00', colour: 'red' }],
      ['POST', '/products', { sku: 'V-1', name: 'x', price: '1.00', defaultMinStock: -1 }],
      ['POST', '/products', { sku: 'V-1', name: 'x', price: '1.00', defaultMinStock: '3' }],
      ['POST', '/products', { sku: 'bad sku', name: 'x', price: '1.00' }],
      ['POST', '/products', { sku: 'V-1', name: '', price: '1.00' }],
      ['POST', '/products', { sku: 'V-1', price: '1.00' }],
      ['PUT', '/products/F-06', { sku: 'F-06', name: 'x', price: '1.00' }],
      ['PUT', '/products/F-06', { name: 'x', price: '1.00', active: 'no' }],
    ];
    for (const [method, url, body] of cases) {
      const res = await send(app, method as 'POST' | 'PUT', url, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('VALIDATION');
    }
    for (const query of ['colour=red', 'minPrice=1.123456', 'limit=0', 'active=maybe']) {
      expect((await send(app, 'GET', `/products?${query}`, undefined, viewer)).status, query).toBe(400);
    }
    expect((await send(app, 'GET', '/products/V-1', undefined, viewer)).status).toBe(404);
    expect((await send(app, 'GET', '/products/F-06', undefined, viewer)).body).toMatchObject({
      name: 'Spoon',
      version: 1,
    });
  });

  it('needs a token (401) and the admin role for writes (403); a viewer reads', async () => {
    expect((await send(app, 'GET', '/products', undefined, {})).status).toBe(401);
    expect((await send(app, 'GET', '/products/F-06', undefined, {})).body.code).toBe('UNAUTHORIZED');
    const writes = [
      ['POST', '/products', { sku: 'AU-1', name: 'x', price: '1.00' }],
      ['PUT', '/products/F-06', { name: 'hacked', price: '0.01' }],
      ['DELETE', '/products/F-06', undefined],
      ['PUT', '/stores/s1/min-stock/F-06', { minStock: 1 }],
    ] as const;
    for (const [method, url, body] of writes) {
      expect((await send(app, method, url, body, {})).status, `${method} ${url}`).toBe(401);
      const asViewer = await send(app, method, url, body, viewer);
      expect(asViewer.status, `${method} ${url}`).toBe(403);
      expect(asViewer.body.code).toBe('FORBIDDEN');
    }
    expect((await send(app, 'GET', '/products/F-06', undefined, viewer)).body).toMatchObject({
      name: 'Spoon',
      active: true,
      version: 1,
    });
    expect((await send(app, 'GET', '/products/AU-1', undefined, viewer)).status).toBe(404);
  });

  it('sets a per-store minimum: settings row, central projection and the store settings bucket', async () => {
    await send(app, 'POST', '/products', { sku: 'MS-1', name: 'x', price: '1.00', defaultMinStock: 4 });
    await app.db.execute(sql`insert into stock (store_id, sku, on_hand, reserved, version)
      values ('s1', 'MS-1', 10, 0, 1), ('s2', 'MS-1', 10, 0, 1)`);
    const minOf = async (storeId: string) =>
      rowsOf<{ min_stock: number | null }>(
        await app.db.execute(sql`select min_stock from stock where store_id = ${storeId} and sku = 'MS-1'`),
      )[0]?.min_stock;

    const set = await send(app, 'PUT', '/stores/s1/min-stock/MS-1', { minStock: 7 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ storeId: 's1', sku: 'MS-1', minStock: 7, version: 1, published: true });
    expect(await minOf('s1')).toBe(7);
    expect(await kvValue(names().storeSettingsBucket, 's1.MS-1')).toMatchObject({ minStock: 7 });

    // A new product default reaches stores without an override only.
    await send(app, 'PUT', '/products/MS-1', { name: 'x', price: '1.00', defaultMinStock: 5 });
    expect([await minOf('s1'), await minOf('s2')]).toEqual([7, 5]);

    expect((await send(app, 'PUT', '/stores/s1/min-stock/MS-1', { minStock: 7 })).body.version).toBe(1);
    const reset = await send(app, 'PUT', '/stores/s1/min-stock/MS-1', { minStock: null });
    expect(reset.body).toMatchObject({ minStock: null, version: 2, published: true });
    expect(await minOf('s1')).toBe(5);
    expect(await kvValue(names().storeSettingsBucket, 's1.MS-1')).toMatchObject({ minStock: null });

    expect((await send(app, 'PUT', '/stores/s1/min-stock/NOPE-9', { minStock: 1 })).status).toBe(404);
    for (const body of [{ minStock: -1 }, { minStock: '3' }, { minStock: 1.5 }, {}, { minStock: 1, x: 1 }]) {
      expect((await send(app, 'PUT', '/stores/s1/min-stock/MS-1', body)).status, JSON.stringify(body)).toBe(400);
    }
    expect((await send(app, 'PUT', '/stores/S_1/min-stock/MS-1', { minStock: 1 })).status).toBe(400);
    expect(await minOf('s1')).toBe(5);
  });
});
