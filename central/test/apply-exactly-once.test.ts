import type { JsMsg } from '@nats-io/jetstream';
import { parseStockEvent } from '@stocksync/shared';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database';
import { applyBatch } from '../src/domain/apply-batch';
import { projectionFromLedger, rebuildProjection } from '../src/domain/projection-rebuild';
import { ensureApplyConsumer } from '../src/sync/event-stream';
import {
  allCaughtUp,
  counter,
  createBackend,
  type Driver,
  ledgerSums,
  projection,
  startCentral,
  syncSnapshot,
} from './helpers/central-harness';
import { expectedProjection, interleave, rng, StoreEventFactory } from './helpers/event-factory';
import { publishEvents, type TestNats, testNats } from './helpers/nats-helpers';
import { deleteStreams, uniquePrefix, waitFor } from './helpers/test-env';

const SKUS = ['A-1', 'A-2', 'B-1', 'C-9'];

describe.each<Driver>(['postgres', 'pglite'])('exactly-once apply on %s', (driver) => {
  let backend: Awaited<ReturnType<typeof createBackend>>;
  const prefixes: string[] = [];
  const conns: TestNats[] = [];
  let app: FastifyInstance | undefined;
  let factories: StoreEventFactory[] = [];

  const nats = async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const t = await testNats(prefix);
    conns.push(t);
    return { prefix, t };
  };

  beforeAll(async () => {
    backend = await createBackend(driver);
  });
  afterAll(async () => {
    await app?.close();
    for (const t of conns) await t.nc.close();
    for (const p of prefixes) await deleteStreams(p);
    await backend?.cleanup();
  });

  it('applies interleaved stores and SKUs once, despite same-msgID and new-msgID duplicates', async () => {
    const { prefix, t } = await nats();
    app = await startCentral({ prefix, env: backend.env });
    factories = ['s1', 's2', 's3'].map((id, i) => new StoreEventFactory(id, rng(i + 1)));
    const events = interleave(factories.map((f) => f.generate(200, SKUS)));

    await publishEvents(t, events);
    // A publisher retry inside the dedup window: JetStream drops it.
    expect((await publishEvents(t, events.slice(0, 100))).duplicates).toBe(100);
    // A store resending hours later (dedup window long gone): new msgIDs, central must skip them.
    expect((await publishEvents(t, events.slice(0, 150), { msgId: (e) => `${e.id}-late` })).duplicates).toBe(0);

    const db = app.db;
    await waitFor(
      () => syncSnapshot(db),
      (s) => allCaughtUp(s, { s1: 200, s2: 200, s3: 200 }),
      { what: 'all stores at seq 200' },
    );
    const appRef = app;
    await waitFor(
      () => counter(appRef, 'central_events_duplicate_total'),
      (n) => n >= 150,
      { what: 'late copies' },
    );

    const snap = await syncSnapshot(db);
    expect(snap.ledger).toBe(600);
    expect(snap.distinctEvents).toBe(600);
    expect(snap.buffered).toBe(0);
    expect(snap.breaks).toEqual([]);
    expect(Object.values(snap.stores).every((s) => s.chainStatus === 'ok')).toBe(true);
    expect(await counter(app, 'central_events_applied_total')).toBe(600);
    expect(await counter(app, 'central_events_duplicate_total')).toBe(150);

    const expected = expectedProjection(factories);
    expect(await projection(db)).toEqual(expected);
    const sums = await ledgerSums(db);
    for (const [key, state] of expected)
      expect(sums.get(key)).toEqual({ onHand: state.onHand, reserved: state.reserved });
  });

  it('rebuilds the stock projection from the ledger to exactly the incrementally applied one', async () => {
    const db = app!.db;
    const incremental = await projection(db);
    expect(incremental.size).toBeGreaterThan(0);
    const fromLedger = await projectionFromLedger(db);
    expect(
      new Map(
        fromLedger.map((r) => [
          `${r.storeId}/${r.sku}`,
          { onHand: r.onHand, reserved: r.reserved, version: r.version },
        ]),
      ),
    ).toEqual(incremental);
    // Damage the projection (lost rows, wrong values, a row the ledger never saw), then rebuild.
    await db.execute(sql`delete from stock where store_id = 's1'`);
    await db.execute(sql`update stock set on_hand = on_hand + 7, version = 1 where store_id = 's2'`);
    await db.execute(
      sql`insert into stock (store_id, sku, on_hand, reserved, version) values ('s9', 'GHOST', 5, 0, 3)`,
    );
    expect(await projection(db)).not.toEqual(incremental);
    expect(await rebuildProjection(db)).toBe(incremental.size);
    expect(await projection(db)).toEqual(incremental);
  });

  it('skips messages redelivered after a replica committed them but died before acking', async () => {
    await app?.close(); // the previous central lets go of the database (PGlite is single-process)
    app = undefined;
    const { prefix, t } = await nats();
    await ensureApplyConsumer(t.jsm, t.names, { ackWaitMs: 1000, maxAckPending: 1000 });
    const store = new StoreEventFactory('r1', rng(42));
    const events = store.generate(120, SKUS);
    await publishEvents(t, events);

    // The replica that crashes: pulls, commits, never acks.
    const handle = await openDatabase({ databaseUrl: backend.env.DATABASE_URL, dataDir: backend.env.DATA_DIR });
    const consumer = await t.js.consumers.get(t.names.eventsStream, t.names.centralDurable);
    const pulled: JsMsg[] = [];
    while (pulled.length < events.length) {
      const batch = await consumer.fetch({ max_messages: events.length - pulled.length, expires: 2000 });
      for await (const msg of batch) pulled.push(msg);
    }
    const committed = await applyBatch(
      handle.db,
      { events: pulled.map((m) => parseStockEvent(m.json())) },
      { window: 5000 },
    );
    expect(committed.applied).toHaveLength(120);
    await handle.close();

    app = await startCentral({ prefix, env: backend.env, sync: { ackWaitMs: 1000 } });
    const appRef = app;
    await waitFor(
      () => counter(appRef, 'central_events_duplicate_total'),
      (n) => n >= 120,
      {
        what: 'redeliveries skipped',
      },
    );
    // Every message was delivered twice: to the crashed replica, then (after ack_wait) to central.
    const info = await t.jsm.consumers.info(t.names.eventsStream, t.names.centralDurable);
    expect(info.delivered.consumer_seq).toBeGreaterThanOrEqual(240);
    await waitFor(
      async () => (await t.jsm.consumers.info(t.names.eventsStream, t.names.centralDurable)).num_ack_pending,
      (n) => n === 0,
      { what: 'redeliveries acked' },
    );

    const snap = await syncSnapshot(app.db);
    expect(await counter(app, 'central_events_applied_total')).toBe(0);
    expect(snap.stores.r1).toEqual({ lastSeq: 120, chainStatus: 'ok' });
    expect(snap.ledger).toBe(600 + 120);
    expect(snap.distinctEvents).toBe(snap.ledger);
    expect(await projection(app.db)).toEqual(expectedProjection([...factories, store]));
  });
});
