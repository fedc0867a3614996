import { ErrorCode } from '@stocksync/shared';
import { TestPostgresServer } from '@stocksync/shared/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteBuckets, send } from './helpers/catalog-helpers';
import { metricSeries, startCentral, syncSnapshot } from './helpers/central-harness';
import { rng, StoreEventFactory } from './helpers/event-factory';
import { publishEvents, type TestNats, testNats } from './helpers/nats-helpers';
import { createTempDir, deleteStreams, uniquePrefix, waitFor } from './helpers/test-env';

describe('central while its PostgreSQL crashes and comes back (private server)', () => {
  let pg: TestPostgresServer;
  let dir: Awaited<ReturnType<typeof createTempDir>>;
  let t: TestNats;
  let app: FastifyInstance;
  const prefix = uniquePrefix();
  const store = new StoreEventFactory('d1', rng(91));
  const events = store.generate(120, ['A-1', 'B-1', 'C-1']);
  const lastSeq = async () => (await syncSnapshot(app.db)).stores.d1?.lastSeq ?? 0;

  beforeAll(async () => {
    pg = await TestPostgresServer.start();
    dir = await createTempDir();
    t = await testNats(prefix);
    app = await startCentral({ prefix, env: { DATA_DIR: dir.path, DATABASE_URL: pg.url } });
  });
  afterAll(async () => {
    await app?.close();
    await t?.nc.close();
    await deleteStreams(prefix);
    await deleteBuckets(prefix);
    await pg?.stop();
    await dir?.remove();
  });

  it('answers 503 DEPENDENCY_UNAVAILABLE and changes nothing while it is down, then loses nothing', async () => {
    expect((await send(app, 'POST', '/products', { sku: 'PG-1', name: 'Before', price: '1.00' })).status).toBe(201);
    await publishEvents(t, events.slice(0, 40));
    await waitFor(lastSeq, (seq) => seq === 40, { what: 'first 40 applied' });

    await pg.kill();
    const read = await send(app, 'GET', '/products/PG-1');
    expect(read).toMatchObject({ status: 503, body: { code: ErrorCode.DEPENDENCY_UNAVAILABLE, statusCode: 503 } });
    const write = await send(app, 'POST', '/products', { sku: 'PG-2', name: 'During', price: '2.00' });
    expect(write).toMatchObject({ status: 503, body: { code: ErrorCode.DEPENDENCY_UNAVAILABLE } });
    expect(JSON.stringify(write.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/i);
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(503);
    expect(health.json()).toMatchObject({ status: 'degraded', checks: { db: 'down' } });
    expect(await metricSeries(app, 'central_dependency_up', 'dependency')).toMatchObject({ db: 0 });
    // Store events keep arriving: they wait in JetStream, unacknowledged, until the database is back.
    await publishEvents(t, events.slice(40));
    // Long enough for every background loop (apply retries, sweepers, relays, reconciliation) to hit it.
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await send(app, 'GET', '/stores')).status).toBe(503);
    expect(await lastSeq().catch(() => 'unreadable')).toBe('unreadable');

    await pg.restart();
    await waitFor(
      async () => (await send(app, 'GET', '/products/PG-1')).status,
      (status) => status === 200,
      { timeoutMs: 30_000, what: 'reads again' },
    );
    await waitFor(lastSeq, (seq) => seq === 120, { timeoutMs: 30_000, what: 'every event applied after the outage' });
    const snap = await syncSnapshot(app.db);
    expect(snap.ledger).toBe(120);
    expect(snap.distinctEvents).toBe(120);
    expect((await send(app, 'GET', '/products/PG-2')).status).toBe(404);
    expect((await send(app, 'POST', '/products', { sku: 'PG-2', name: 'After', price: '2.00' })).status).toBe(201);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  }, 120_000);
});
