import { chainEvent, type StockEvent } from '@stocksync/shared';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../src/db/database';
import { createEventBufferRepository } from '../src/db/event-buffer-repository';
import { counter, metricSeries, projection, syncSnapshot } from './helpers/central-harness';
import { startCentralOnNats } from './helpers/central-on-nats';
import { rng, StoreEventFactory } from './helpers/event-factory';
import { publishEvents, startResendResponder, type TestNats } from './helpers/nats-helpers';
import { VIEWER_TOKEN, waitFor } from './helpers/test-env';

const SKUS = ['A-1', 'A-2', 'B-1'];
const viewer = { authorization: `Bearer ${VIEWER_TOKEN}` };

describe('gap repair and chain verification (PostgreSQL)', () => {
  let central: Awaited<ReturnType<typeof startCentralOnNats>>;
  let t: TestNats;
  let app: FastifyInstance;

  beforeAll(async () => {
    central = await startCentralOnNats('postgres');
    ({ t, app } = central);
  });
  afterAll(() => central?.stop());

  const buffered = (storeId: string) => createEventBufferRepository(app.db).count(storeId);
  const store = async (storeId: string) => (await syncSnapshot(app.db)).stores[storeId];
  const storeProjection = async (storeId: string) =>
    new Map([...(await projection(app.db))].filter(([key]) => key.startsWith(`${storeId}/`)));
  const expectedOf = (f: StoreEventFactory) => new Map([...f.state()].map(([sku, s]) => [`${f.storeId}/${sku}`, s]));
  const ledgerIds = async (storeId: string) =>
    rowsOf<{ event_id: string }>(
      await app.db.execute(sql`select event_id from ledger where store_id = ${storeId} order by seq`),
    ).map((r) => r.event_id);
  const breaksOf = async (storeId: string) =>
    (await syncSnapshot(app.db)).breaks
      .filter((b) => b.storeId === storeId)
      .map(({ seq, reason }) => ({ seq, reason }));

  it('buffers events behind a gap, keeps asking the store to resend, and converges once it answers', async () => {
    const f = new StoreEventFactory('g1', rng(7));
    const events = f.generate(12, SKUS);
    const requestsBefore = await counter(app, 'central_gap_requests_total');
    await publishEvents(
      t,
      events.filter((e) => e.seq !== 5),
    );

    await waitFor(
      async () => ({ seq: (await store('g1'))?.lastSeq, buffered: await buffered('g1') }),
      (s) => s.seq === 4 && s.buffered === 7,
      { what: 'g1 stopped at the gap' },
    );
    // Nobody answers yet (store offline): central retries on its timer.
    await waitFor(
      () => counter(app, 'central_gap_requests_total'),
      (n) => n >= requestsBefore + 2,
      { what: 'repeated resend requests' },
    );
    expect(await store('g1')).toEqual({ lastSeq: 4, chainStatus: 'ok' });

    const responder = startResendResponder(t, 'g1', () => f.events);
    try {
      await waitFor(
        () => store('g1'),
        (s) => s?.lastSeq === 12,
        { what: 'g1 converged' },
      );
      expect(responder.requests[0]).toEqual({ fromSeq: 5, toSeq: 5 });
    } finally {
      responder.stop();
    }
    expect(await buffered('g1')).toBe(0);
    expect(await ledgerIds('g1')).toEqual(events.map((e) => e.id));
    expect(await storeProjection('g1')).toEqual(expectedOf(f));
  });

  it('asks each store for its own whole gap, whatever other stores hold in the buffer', async () => {
    // m2's buffer (seq 6…12, never resent) sits inside m1's gap (2…7): each store's must be its own.
    const m1 = new StoreEventFactory('m1', rng(21));
    const m2 = new StoreEventFactory('m2', rng(22));
    const m1Events = m1.generate(12, SKUS);
    const m2Events = m2.generate(12, SKUS);
    await publishEvents(
      t,
      m2Events.filter((e) => e.seq !== 5),
    );
    await publishEvents(
      t,
      m1Events.filter((e) => e.seq < 2 || e.seq > 7),
    );
    await waitFor(
      async () => [
        (await store('m1'))?.lastSeq,
        await buffered('m1'),
        (await store('m2'))?.lastSeq,
        await buffered('m2'),
      ],
      ([a, b, c, d]) => a === 1 && b === 5 && c === 4 && d === 7,
      { what: 'both stores stopped at their gaps' },
    );
    const responder = startResendResponder(t, 'm1', () => m1.events);
    try {
      await waitFor(
        () => store('m1'),
        (s) => s?.lastSeq === 12,
        { what: 'm1 converged while m2 still waits' },
      );
      expect(responder.requests[0]).toEqual({ fromSeq: 2, toSeq: 7 });
    } finally {
      responder.stop();
    }
    expect(await storeProjection('m1')).toEqual(expectedOf(m1));
    expect((await store('m2'))?.lastSeq).toBe(4);

    // Likewise a store's open chain breaks are its own.
    await app.db.execute(sql`insert into chain_breaks (store_id, seq, reason) values ('m2', 99, 'hash-mismatch')`);
    const openBreaks = async (storeId: string) =>
      (await app.inject({ method: 'GET', url: `/stores/${storeId}`, headers: viewer })).json().openBreaks;
    expect(await openBreaks('m2')).toBeGreaterThanOrEqual(1);
    expect(await openBreaks('m1')).toBe(0);
  });

  it('fills a sparse buffer with one request, not one round trip per hole', async () => {
    const f = new StoreEventFactory('sp1', rng(23));
    const events = f.generate(30, SKUS);
    // Every fifth event buffered, the others lost: two replicas share the consumer, one buffered its
    // share while the other's failed batch was nak-ed and then lost with NATS's storage. Five holes.
    await publishEvents(
      t,
      events.filter((e) => e.seq === 1 || e.seq % 5 === 0),
    );
    await waitFor(
      async () => [(await store('sp1'))?.lastSeq, await buffered('sp1')],
      ([seq, n]) => seq === 1 && n === 6,
      { what: 'sp1 stopped at the first hole' },
    );
    const responder = startResendResponder(t, 'sp1', () => f.events);
    try {
      await waitFor(
        () => store('sp1'),
        (s) => s?.lastSeq === 30,
        { what: 'sp1 converged' },
      );
      // Every hole up to the last buffered run at once (the buffered events between them come again).
      expect(responder.requests[0]).toEqual({ fromSeq: 2, toSeq: 29 });
    } finally {
      responder.stop();
    }
    expect(await buffered('sp1')).toBe(0);
    expect(await ledgerIds('sp1')).toEqual(events.map((e) => e.id));
    expect(await storeProjection('sp1')).toEqual(expectedOf(f));
  });

  it('applies out-of-order arrivals exactly once without any resend', async () => {
    const f = new StoreEventFactory('o1', rng(8));
    const events = f.generate(40, SKUS);
    // Newest chunk first, each in its own batch: everything but the last chunk waits in the buffer.
    for (const [from, to] of [
      [30, 40],
      [20, 30],
      [10, 20],
    ] as const) {
      await publishEvents(t, events.slice(from, to));
      await waitFor(
        () => buffered('o1'),
        (n) => n === 40 - from,
        { what: `chunk ${from} buffered` },
      );
    }
    expect((await store('o1'))?.lastSeq).toBe(0);
    await publishEvents(t, events.slice(0, 10));
    await waitFor(
      () => store('o1'),
      (s) => s?.lastSeq === 40,
      { what: 'o1 converged' },
    );
    expect(await buffered('o1')).toBe(0);
    expect(await ledgerIds('o1')).toEqual(events.map((e) => e.id));
    expect(await storeProjection('o1')).toEqual(expectedOf(f));
  });

  it('refuses a tampered event, applies nothing after it, shows the break in GET /sync, heals on a genuine resend', async () => {
    const f = new StoreEventFactory('x1', rng(9));
    const events = f.generate(6, SKUS);
    const original = events[2] as StockEvent;
    const tampered = { ...original, delta: original.delta - 5 }; // content changed, original hash kept
    await publishEvents(t, [events[0], events[1], tampered, events[3], events[4], events[5]]);

    await waitFor(
      async () => ({ breaks: await breaksOf('x1'), buffered: await buffered('x1') }),
      (s) => s.breaks.length === 1 && s.buffered === 3,
      { what: 'x1 break recorded' },
    );
    expect(await breaksOf('x1')).toEqual([{ seq: 3, reason: 'hash-mismatch' }]);
    expect(await store('x1')).toEqual({ lastSeq: 2, chainStatus: 'broken' });
    expect(await ledgerIds('x1')).toEqual([events[0]?.id, events[1]?.id]);
    const afterTwo = new StoreEventFactory('x1', rng(9));
    afterTwo.generate(2, SKUS);
    expect(await storeProjection('x1')).toEqual(expectedOf(afterTwo));

    const sync = await app.inject({ method: 'GET', url: '/sync', headers: viewer });
    expect(sync.statusCode).toBe(200);
    const row = sync.json().items.find((s: { storeId: string }) => s.storeId === 'x1');
    expect(row).toMatchObject({ lastSeq: 2, chainStatus: 'broken', openBreaks: 1 });
    // The same view on /metrics, for HQ's alerting.
    expect((await metricSeries(app, 'central_store_chain_broken')).x1).toBe(1);
    expect((await metricSeries(app, 'central_store_buffered_events')).x1).toBe(3);
    const listed = await app.inject({ method: 'GET', url: '/sync/breaks?storeId=x1&open=true', headers: viewer });
    expect(listed.json().items).toMatchObject([
      { storeId: 'x1', seq: 3, reason: 'hash-mismatch', eventId: original.id },
    ]);

    const responder = startResendResponder(t, 'x1', () => f.events);
    try {
      await waitFor(
        () => store('x1'),
        (s) => s?.lastSeq === 6,
        { what: 'x1 healed' },
      );
    } finally {
      responder.stop();
    }
    expect((await store('x1'))?.chainStatus).toBe('ok');
    expect((await metricSeries(app, 'central_store_chain_broken')).x1).toBe(0);
    expect((await metricSeries(app, 'central_store_buffered_events')).x1).toBe(0);
    expect(await breaksOf('x1')).toEqual([{ seq: 3, reason: 'hash-mismatch' }]); // the evidence stays
    expect(await ledgerIds('x1')).toEqual(events.map((e) => e.id));
    expect(await storeProjection('x1')).toEqual(expectedOf(f));
  });

  it('refuses an event whose prevHash skips a missing event, and flags a fork of an applied seq', async () => {
    const f = new StoreEventFactory('x2', rng(10));
    const events = f.generate(3, SKUS);
    const [first, second, third] = events as [StockEvent, StockEvent, StockEvent];
    const { prevHash: _p, hash: _h, ...unchained } = { ...third, seq: 4, id: '01900000-0000-7000-8000-000000000004' };
    // Event 4 chained to a hash central never saw (its predecessor went missing and was re-created).
    const skipping = chainEvent(unchained, 'f'.repeat(64));
    await publishEvents(t, [first, second, third]);
    await waitFor(
      () => store('x2'),
      (s) => s?.lastSeq === 3,
      { what: 'x2 at 3' },
    );
    const { prevHash: _p2, hash: _h2, ...secondFields } = second;
    const fork = chainEvent({ ...secondFields, id: '01900000-0000-7000-8000-00000000f02c', delta: 0 }, first.hash);
    await publishEvents(t, [skipping, fork]);

    await waitFor(
      () => breaksOf('x2'),
      (b) => b.length === 2,
      { what: 'x2 breaks' },
    );
    expect(await breaksOf('x2')).toEqual(
      expect.arrayContaining([
        { seq: 4, reason: 'prev-hash-mismatch' },
        { seq: 2, reason: 'fork' },
      ]),
    );
    expect(await store('x2')).toEqual({ lastSeq: 3, chainStatus: 'broken' });
    expect(await ledgerIds('x2')).toEqual(events.map((e) => e.id));
    expect(await storeProjection('x2')).toEqual(expectedOf(f));
  });

  it('records undecodable or misaddressed messages as poison, acks them, and keeps the stream flowing', async () => {
    const f = new StoreEventFactory('p1', rng(11));
    const events = f.generate(3, SKUS);
    const other = new StoreEventFactory('p2', rng(12)).generate(1, SKUS)[0] as StockEvent;
    const subject = () => t.names.eventsSubject('p1');
    await publishEvents(t, ['not json at all', { ...events[0], extra: 1 }, other], { subject, msgId: () => undefined });
    await publishEvents(t, events);

    await waitFor(
      () => store('p1'),
      (s) => s?.lastSeq === 3,
      { what: 'p1 applied' },
    );
    await waitFor(
      () => breaksOf('p1'),
      (b) => b.length === 3,
      { what: 'poison recorded' },
    );
    expect((await breaksOf('p1')).map((b) => b.reason).sort()).toEqual([
      'invalid-payload',
      'invalid-payload',
      'subject-mismatch',
    ]);
    expect(await store('p2')).toBeUndefined();
    await waitFor(
      async () => (await t.jsm.consumers.info(t.names.eventsStream, t.names.centralDurable)).num_ack_pending,
      (n) => n === 0,
      { what: 'all acked' },
    );
  });

  it('records heartbeats as last contact, outbox depth and disk for GET /sync; ignores one claiming another store', async () => {
    const beat = (subjectStore: string, storeId: string, extra: Record<string, unknown> = {}) =>
      t.nc.publish(
        t.names.heartbeatSubject(subjectStore),
        JSON.stringify({
          storeId,
          sentAt: new Date().toISOString(),
          lastSeq: 7,
          lastPublishedSeq: 5,
          pending: 2,
          oldestPendingAgeMs: 1500,
          ...extra,
        }),
      );
    beat('h1', 'h1', {
      storageFull: true,
      diskFreeBytes: 8_000_000_000,
      clockOffsetMs: -90_000,
      slowestWalFsyncMs: 1_250,
    });
    // A store of the release before disk reporting: no disk fields, so nothing is claimed about its disk.
    beat('h3', 'h3');
    beat('h2', 'h1');
    await waitFor(
      async () => (await app.inject({ method: 'GET', url: '/stores/h1', headers: viewer })).statusCode,
      (code) => code === 200,
      { what: 'h1 known' },
    );
    const h1 = (await app.inject({ method: 'GET', url: '/stores/h1', headers: viewer })).json();
    expect(h1).toMatchObject({
      storeId: 'h1',
      online: true,
      pending: 2,
      oldestPendingAgeMs: 1500,
      reportedLastSeq: 7,
      lastSeq: 0,
      storageFull: true,
      diskFreeBytes: 8_000_000_000,
      clockOffsetMs: -90_000,
      slowestWalFsyncMs: 1_250,
    });
    await waitFor(
      async () => (await app.inject({ method: 'GET', url: '/stores/h3', headers: viewer })).statusCode,
      (code) => code === 200,
      { what: 'h3 known' },
    );
    expect((await app.inject({ method: 'GET', url: '/stores/h3', headers: viewer })).json()).toMatchObject({
      storageFull: false,
      diskFreeBytes: null,
      clockOffsetMs: null,
      slowestWalFsyncMs: null,
    });
    expect((await app.inject({ method: 'GET', url: '/stores/h2', headers: viewer })).statusCode).toBe(404);
    const metric = (name: string) => metricSeries(app, name);
    expect((await metric('central_store_online')).h1).toBe(1);
    expect((await metric('central_store_outbox_pending')).h1).toBe(2);
    expect((await metric('central_store_oldest_pending_age_seconds')).h1).toBe(1.5);
    expect((await metric('central_store_last_contact_age_seconds')).h1).toBeLessThan(60);
    expect((await metric('central_store_behind_central')).h1).toBe(0);
    expect((await metric('central_store_storage_full')).h1).toBe(1);
    expect((await metric('central_store_storage_full')).h3).toBe(0);
    expect((await metric('central_store_disk_free_bytes')).h1).toBe(8_000_000_000);
    expect(await metric('central_store_disk_free_bytes')).not.toHaveProperty('h3');
    expect((await metric('central_store_clock_offset_seconds')).h1).toBe(-90);
    expect(await metric('central_store_clock_offset_seconds')).not.toHaveProperty('h3');
    expect((await metric('central_store_slowest_wal_fsync_seconds')).h1).toBe(1.25);
    expect(await metric('central_store_slowest_wal_fsync_seconds')).not.toHaveProperty('h3');
    expect(await metric('central_store_online')).not.toHaveProperty('h2');

    // Sent as a request, a heartbeat is answered with central's cursor and its clock, for the store to
    // measure its own against.
    const asked = Date.now();
    const reply = await t.nc.request(
      t.names.heartbeatSubject('h1'),
      JSON.stringify({
        storeId: 'h1',
        sentAt: new Date().toISOString(),
        lastSeq: 7,
        lastPublishedSeq: 7,
        pending: 0,
        oldestPendingAgeMs: 0,
      }),
      { timeout: 5_000 },
    );
    const answer = reply.json<{ lastSeq: number; centralTime: string }>();
    expect(answer.lastSeq).toBe(0);
    expect(Date.parse(answer.centralTime)).toBeGreaterThanOrEqual(asked);
    expect(Date.parse(answer.centralTime)).toBeLessThanOrEqual(Date.now());
  });
});
