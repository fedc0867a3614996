import { ErrorCode } from '@stocksync/shared';
import { CENTRAL_SERVER, ServiceProcess, TestPostgresServer } from '@stocksync/shared/testing';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteBuckets, send } from './helpers/catalog-helpers';
import { metricSeries, startCentral, syncSnapshot } from './helpers/central-harness';
import { rng, StoreEventFactory } from './helpers/event-factory';
import { publishEvents, type TestNats, testNats } from './helpers/nats-helpers';
import {
  ADMIN_TOKEN,
  createTempDir,
  deleteStreams,
  NATS_URL,
  uniquePrefix,
  VIEWER_TOKEN,
  waitFor,
} from './helpers/test-env';

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

describe('a central process whose PostgreSQL crashes in the middle of its transactions', () => {
  let pgServer: TestPostgresServer;
  let dir: Awaited<ReturnType<typeof createTempDir>>;
  let central: ServiceProcess | undefined;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    pgServer = await TestPostgresServer.start();
    dir = await createTempDir();
  });
  afterAll(async () => {
    await central?.stop();
    await deleteStreams(prefix);
    await deleteBuckets(prefix);
    await pgServer?.stop();
    await dir?.remove();
  });

  it('stays up, answers 503 meanwhile, and keeps every product it answered 201 for', async () => {
    central = await ServiceProcess.start('central', CENTRAL_SERVER, {
      NATS_URL,
      NATS_PREFIX: prefix,
      HQ_ADMIN_TOKEN: ADMIN_TOKEN,
      HQ_VIEWER_TOKEN: VIEWER_TOKEN,
      DATA_DIR: dir.path,
      DATABASE_URL: pgServer.url,
      LOG_LEVEL: 'error',
    });
    const pid = central.pid;
    const create = async (sku: string) => {
      const res = await fetch(`${central!.url}/products`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sku, name: sku, price: '1.00' }),
      }).catch(() => undefined);
      return res ? { status: res.status, code: ((await res.json()) as { code?: string }).code } : { status: 0 };
    };
    const created: string[] = [];
    const answers: string[] = [];
    let writing = true;
    // Many transactions open at once, so the crash finds clients checked out between two statements:
    // pg emits that error on the client itself, which crashed the process before.
    const writer = async (w: number) => {
      for (let i = 0; writing; i++) {
        const sku = `W-${w}-${i}`;
        const answer = await create(sku);
        answers.push(`${answer.status} ${answer.code ?? ''}`.trim());
        if (answer.status === 201) created.push(sku);
      }
    };
    const writers = Array.from({ length: 16 }, (_, w) => writer(w));
    await waitFor(
      async () => created.length,
      (n) => n >= 50,
      { what: 'writes before the crash' },
    );
    await pgServer.kill();
    await new Promise((r) => setTimeout(r, 1_000));
    await pgServer.restart();
    const afterCrash = answers.length;
    await waitFor(
      async () => answers.slice(afterCrash).filter((a) => a === '201').length,
      (n) => n >= 50,
      { timeoutMs: 30_000, what: 'writes succeeding again' },
    );
    writing = false;
    await Promise.all(writers);

    expect(central.running).toBe(true);
    expect(central.pid).toBe(pid);
    // Every failure in between was the documented, retryable one: no 500, no dropped connection.
    expect(new Set(answers.filter((a) => a !== '201'))).toEqual(new Set([`503 ${ErrorCode.DEPENDENCY_UNAVAILABLE}`]));
    const client = new pg.Client({ connectionString: pgServer.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ sku: string }>('select sku from products');
      const stored = new Set(rows.map((r) => r.sku));
      expect(created.filter((sku) => !stored.has(sku))).toEqual([]);
    } finally {
      await client.end();
    }
  }, 120_000);
});
