import { TestNatsServer } from '@stocksync/shared/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, metricSeries, projection, startCentral, syncSnapshot } from './helpers/central-harness';
import { rng, StoreEventFactory } from './helpers/event-factory';
import { publishEvents, type TestNats, testNats } from './helpers/nats-helpers';
import { uniquePrefix, waitFor } from './helpers/test-env';

describe('apply consumer survives NATS failures (private nats-server)', () => {
  let server: TestNatsServer;
  let backend: Awaited<ReturnType<typeof createBackend>>;
  let t: TestNats;
  let app: FastifyInstance;
  const store = new StoreEventFactory('n1', rng(77));
  const events = store.generate(150, ['A-1', 'B-1']);
  const lastSeq = async () => (await syncSnapshot(app.db)).stores.n1?.lastSeq ?? 0;

  beforeAll(async () => {
    server = await TestNatsServer.start();
    backend = await createBackend('postgres');
    const prefix = uniquePrefix();
    t = await testNats(prefix, server.url);
    app = await startCentral({ prefix, env: { ...backend.env, NATS_URL: server.url } });
  });
  afterAll(async () => {
    await app?.close();
    await t?.nc.close();
    await server?.stop();
    await backend?.cleanup();
  });

  it('recreates a deleted stream and consumer and keeps applying', async () => {
    await publishEvents(t, events.slice(0, 50));
    await waitFor(lastSeq, (seq) => seq === 50, { what: 'first 50' });

    await t.jsm.streams.delete(t.names.eventsStream);
    // Central notices the missing consumer and rebuilds both, without a restart.
    await waitFor(
      () =>
        t.jsm.consumers.info(t.names.eventsStream, t.names.centralDurable).then(
          () => true,
          () => false,
        ),
      (ok) => ok,
      { what: 'stream and consumer recreated by central' },
    );
    await publishEvents(t, events.slice(50, 100));
    await waitFor(lastSeq, (seq) => seq === 100, { what: 'next 50 after the stream came back' });
  });

  const dependencies = () => metricSeries(app, 'central_dependency_up', 'dependency');

  it('reports NATS down in /health while it is gone and resumes applying after a NATS crash', async () => {
    await server.kill();
    await waitFor(
      async () => (await app.inject({ method: 'GET', url: '/health' })).json(),
      (body) => body.checks?.nats === 'down',
      { what: 'health shows nats down' },
    );
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(503);
    expect(await dependencies()).toEqual({ db: 1, nats: 0 });

    await server.restart();
    await waitFor(
      () =>
        t.nc.flush().then(
          () => true,
          () => false,
        ),
      (ok) => ok,
      { what: 'test client back' },
    );
    await publishEvents(t, events.slice(100));
    await waitFor(lastSeq, (seq) => seq === 150, { timeoutMs: 30_000, what: 'applied after NATS restart' });
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect(await dependencies()).toEqual({ db: 1, nats: 1 });

    const snap = await syncSnapshot(app.db);
    expect(snap.ledger).toBe(150);
    expect(snap.distinctEvents).toBe(150);
    expect(await projection(app.db)).toEqual(new Map([...store.state()].map(([sku, s]) => [`n1/${sku}`, s])));
  });
});
