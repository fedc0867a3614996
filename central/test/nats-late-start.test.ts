import { setTimeout as sleep } from 'node:timers/promises';
import { type CatalogProduct, newId, type ReserveRequest, type StoreCommand } from '@stocksync/shared';
import { readStream, TestNatsServer } from '@stocksync/shared/testing';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandOutboxRepository } from '../src/db/command-outbox-repository';
import { rowsOf } from '../src/db/database';
import { kvValue, send } from './helpers/catalog-helpers';
import { createBackend, projection, startCentral, syncSnapshot } from './helpers/central-harness';
import { rng, StoreEventFactory } from './helpers/event-factory';
import { publishEvents, type TestNats, testNats } from './helpers/nats-helpers';
import { uniquePrefix, waitFor } from './helpers/test-env';

type Health = { status: number; body: unknown };

/** A store's reserve responder: holds everything it is asked for (what a real store answers when it has stock). */
function holdEverything(t: TestNats, storeId: string): ReserveRequest[] {
  const asked: ReserveRequest[] = [];
  t.nc.subscribe(t.names.reserveSubject(storeId), {
    callback: (_err, msg) => {
      const request = msg.json<ReserveRequest>();
      asked.push(request);
      if (request.op !== 'holds') {
        msg.respond(JSON.stringify({ ok: false, code: 'CONFLICT', message: 'holds only in this test' }));
        return;
      }
      const results = request.holds.map((h) => ({
        ok: true,
        reservation: {
          id: h.reservationId,
          sku: h.sku,
          qty: h.qty,
          status: 'held',
          expiresAt: new Date(Date.now() + h.ttlSeconds * 1000).toISOString(),
        },
      }));
      msg.respond(JSON.stringify({ ok: true, results }));
    },
  });
  return asked;
}

describe('central started while NATS is down (private nats-server started later)', () => {
  let server: TestNatsServer;
  let backend: Awaited<ReturnType<typeof createBackend>>;
  let app: FastifyInstance;
  let t: TestNats | undefined;
  const prefix = uniquePrefix();
  const store = new StoreEventFactory('late1', rng(91));
  const events = store.generate(120, ['A-1', 'B-1']);
  const commandId = newId();

  const health = async (): Promise<Health> => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    return { status: res.statusCode, body: res.json() };
  };
  const rowCount = async (table: 'reservations' | 'reservation_attempts') =>
    rowsOf<{ n: number }>(await app.db.execute(sql`select count(*)::int as n from ${sql.identifier(table)}`))[0]?.n;
  const unpublished = () => createCommandOutboxRepository(app.db).pending();
  const reportedPending = async (storeId: string) =>
    rowsOf<{ reported_pending: number | null }>(
      await app.db.execute(sql`select reported_pending from stores where store_id = ${storeId}`),
    )[0]?.reported_pending;

  beforeAll(async () => {
    server = await TestNatsServer.notStarted();
    backend = await createBackend('postgres');
    app = await startCentral({
      prefix,
      env: { ...backend.env, NATS_URL: server.url, REDIS_KEY_PREFIX: `${prefix}:`, RESERVE_TIMEOUT_MS: '1000' },
    });
  });
  afterAll(async () => {
    await app?.close();
    await t?.nc.close();
    await server?.stop();
    await backend?.cleanup();
  });

  it('is ready with NATS down: serves the catalog, reports NATS down, refuses reservations without changing anything', async () => {
    expect(await health()).toEqual({
      status: 503,
      body: { status: 'degraded', checks: { db: 'ok', nats: 'down' }, driver: 'postgres' },
    });

    const product = { sku: 'LATE-1', name: 'Made offline', price: '4.20', category: 'late' };
    const created = await send(app, 'POST', '/products', product);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...product, version: 1, published: false });
    const read = await send(app, 'GET', '/products/LATE-1');
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ ...product, version: 1, published: false });

    const hold = { sku: 'A-1', qty: 1, ttlSeconds: 600, orderRef: 'web-late-1' };
    const atStore = await send(app, 'POST', '/reservations', { ...hold, storeId: 'late1' });
    expect(atStore.status).toBe(503);
    expect(atStore.body).toMatchObject({ code: 'STORE_UNAVAILABLE', storeId: 'late1' });
    const anywhere = await send(app, 'POST', '/reservations', hold);
    expect(anywhere.status).toBe(503);
    expect(anywhere.body).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(await rowCount('reservations')).toBe(0);
    expect(await rowCount('reservation_attempts')).toBe(0);

    // A command written while NATS is down (as a transfer writes it) waits in the outbox.
    const command: StoreCommand = { type: 'transfer.cancelled', id: commandId, transferId: newId(), issuedAt: 'now' };
    await app.db.transaction((tx) =>
      createCommandOutboxRepository(tx).enqueue([{ id: commandId, storeId: 'late1', payload: command }]),
    );
    await sleep(1_500); // more than the relay's poll
    expect(await unpublished()).toBe(1);
  });

  it('converges once NATS starts: applies new events, publishes the catalog and the outbox, answers reservations', async () => {
    await server.restart(); // its first start
    t = await testNats(prefix, server.url);
    const asked = holdEverything(t, 'late1');
    await waitFor(health, (h) => h.status === 200, { timeoutMs: 20_000, what: 'central connected to NATS' });

    await publishEvents(t, events);
    await waitFor(
      () => syncSnapshot(app.db),
      (s) => s.stores.late1?.lastSeq === events.length,
      { timeoutMs: 30_000, what: 'events published after NATS came up applied' },
    );
    const snapshot = await syncSnapshot(app.db);
    expect(snapshot.ledger).toBe(events.length);
    expect(snapshot.breaks).toEqual([]);
    expect(await projection(app.db)).toEqual(new Map([...store.state()].map(([sku, s]) => [`late1/${sku}`, s])));

    const names = t.names;
    const inBucket = await waitFor(
      () => kvValue<CatalogProduct>(names.catalogBucket, 'LATE-1', server.url).catch(() => undefined),
      (value) => value !== undefined,
      { timeoutMs: 20_000, what: 'product written while NATS was down in the catalog bucket' },
    );
    expect(inBucket).toMatchObject({ sku: 'LATE-1', name: 'Made offline', price: '4.20', active: true });
    await waitFor(
      async () => (await send(app, 'GET', '/products/LATE-1')).body.published,
      (published) => published === true,
      { what: 'product marked published' },
    );

    await waitFor(unpublished, (n) => n === 0, { what: 'outbox command relayed' });
    const relayed = await readStream<StoreCommand>(t.nc, names.commandsStream);
    expect(relayed.map((c) => c.id)).toEqual([commandId]);

    // Heartbeats are subscribed on the late connection too.
    const heartbeat = { storeId: 'late1', sentAt: new Date().toISOString(), lastSeq: events.length };
    t.nc.publish(
      names.heartbeatSubject('late1'),
      JSON.stringify({ ...heartbeat, lastPublishedSeq: events.length, pending: 7, oldestPendingAgeMs: 0 }),
    );
    await waitFor(
      () => reportedPending('late1'),
      (pending) => pending === 7,
      { what: 'heartbeat recorded' },
    );

    // Reservations reach the store now; the earlier 503s left nothing behind to get in the way.
    const [sku] = [...store.state()].sort(([, a], [, b]) => b.onHand - b.reserved - (a.onHand - a.reserved))[0] ?? [];
    const held = await send(app, 'POST', '/reservations', {
      sku,
      qty: 1,
      storeId: 'late1',
      ttlSeconds: 600,
      orderRef: 'web-late-2',
    });
    expect(held.status).toBe(201);
    expect(held.body).toMatchObject({ storeId: 'late1', sku, qty: 1, status: 'held' });
    expect(asked).toHaveLength(1);
    expect(await rowCount('reservations')).toBe(1);

    expect(await health()).toEqual({
      status: 200,
      body: { status: 'ok', checks: { db: 'ok', nats: 'ok' }, driver: 'postgres' },
    });
  });

  it('closes promptly when NATS never came up', async () => {
    const never = await TestNatsServer.notStarted();
    const other = await createBackend('postgres');
    try {
      const lonely = await startCentral({ prefix: uniquePrefix(), env: { ...other.env, NATS_URL: never.url } });
      expect(lonely.nats.clients).toBeUndefined();
      const started = Date.now();
      await lonely.close();
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await never.stop();
      await other.cleanup();
    }
  });
});
