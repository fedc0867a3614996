import { type CatalogProduct, natsNames } from '@stocksync/shared';
import { TestNatsServer } from '@stocksync/shared/testing';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../src/db/database';
import { kvValue, send } from './helpers/catalog-helpers';
import { createBackend, startCentral } from './helpers/central-harness';
import { uniquePrefix, waitFor } from './helpers/test-env';

type Unpublished = { sku: string; version: number; published_version: number };

describe('catalog publisher retries what a write could not publish (private nats-server)', () => {
  let server: TestNatsServer;
  let backend: Awaited<ReturnType<typeof createBackend>>;
  let app: FastifyInstance;
  const prefix = uniquePrefix();
  const names = natsNames(prefix);
  const start = () =>
    startCentral({ prefix, env: { ...backend.env, NATS_URL: server.url, CATALOG_PUBLISH_INTERVAL_MS: '200' } });
  const kvProduct = (sku: string) => kvValue<CatalogProduct>(names.catalogBucket, sku, server.url);
  const pending = async () =>
    rowsOf<Unpublished>(
      await app.db.execute(
        sql`select sku, version, published_version from products where version > published_version order by sku`,
      ),
    );

  beforeAll(async () => {
    server = await TestNatsServer.start();
    backend = await createBackend('postgres');
    app = await start();
  });
  afterAll(async () => {
    await app?.close();
    await server?.stop();
    await backend?.cleanup();
  });

  it('commits writes while NATS is down and publishes every one once it is back', async () => {
    await send(app, 'POST', '/products', { sku: 'ND-1', name: 'before', price: '1.00' });
    expect(await kvProduct('ND-1')).toMatchObject({ name: 'before' });

    await server.kill();
    const updated = await send(app, 'PUT', '/products/ND-1', { name: 'during', price: '2.00' });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'during', version: 2, published: false });
    const created = await send(app, 'POST', '/products', { sku: 'ND-2', name: 'new', price: '3.00' });
    expect(created.body).toMatchObject({ version: 1, published: false });
    const min = await send(app, 'PUT', '/stores/s1/min-stock/ND-2', { minStock: 2 });
    expect(min.body).toMatchObject({ minStock: 2, published: false });
    expect((await pending()).map((r) => r.sku)).toEqual(['ND-1', 'ND-2']);

    await server.restart();
    await waitFor(pending, (rows) => rows.length === 0, { what: 'publisher catches up', timeoutMs: 30_000 });
    expect(await kvProduct('ND-1')).toMatchObject({ name: 'during', price: '2.00' });
    expect(await kvProduct('ND-2')).toMatchObject({ name: 'new', active: true });
    expect(await kvValue(names.storeSettingsBucket, 's1.ND-2', server.url)).toMatchObject({ minStock: 2 });
    // The bucket gets the setting first; published_version is recorded after the PubAck, a moment later.
    const settings = async () =>
      rowsOf<{ version: number; published_version: number }>(
        await app.db.execute(sql`select version, published_version from store_sku_settings where sku = 'ND-2'`),
      )[0];
    expect(
      await waitFor(settings, (row) => row?.published_version === 1, { what: 'min stock marked published' }),
    ).toEqual({ version: 1, published_version: 1 });
  });

  it('publishes on start what was committed but never published (a crash between commit and publish)', async () => {
    await app.close();
    // What a central that died right after its commit leaves behind: the version is ahead of the bucket.
    const client = new pg.Client({ connectionString: backend.env.DATABASE_URL });
    await client.connect();
    await client.query(`update products set name = 'after crash', version = version + 1 where sku = 'ND-1'`);
    await client.end();
    expect(await kvProduct('ND-1')).toMatchObject({ name: 'during' });

    app = await start();
    await waitFor(
      () => kvProduct('ND-1'),
      (p) => p?.name === 'after crash',
      { what: 'published on start' },
    );
    // published_version is recorded after the PubAck, in the publisher's own transaction.
    await waitFor(pending, (rows) => rows.length === 0, { what: 'published_version recorded' });
  });
});
