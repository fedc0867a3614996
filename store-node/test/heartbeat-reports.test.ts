import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { compileValidator, type Heartbeat, HeartbeatSchema, natsNames } from '@stocksync/shared';
import { deleteStreams, eventually } from '@stocksync/shared/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/domain/clock';
import { seedStock, uniqueSku } from './support/factories';
import { createTestStore, type TestStore } from './support/test-store';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const TEN_MINUTES = 10 * 60_000;
const heartbeat = compileValidator(HeartbeatSchema);

/**
 * What a store's heartbeats tell central besides its sync state. The store measures its clock against
 * central's from the stamp central puts on each heartbeat answer, and reports its disk's slowest fsync.
 * The test answers the store's heartbeats over NATS as central's heartbeat subscriber does (the contract
 * is shared/src/sync-messages.ts; central's side is checked in central/test/gap-and-chain.test.ts).
 */
describe("a store's heartbeats (its clock against central's, its disk)", () => {
  let nc: NatsConnection;
  let store: TestStore | undefined;
  const prefix = `clk${randomBytes(4).toString('hex')}`;
  const names = natsNames(prefix);
  const beats: Heartbeat[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    beats.length = 0;
  });
  afterAll(async () => {
    await deleteStreams(nc, [names.eventsStream]);
    await nc.close();
  });

  /** Answers like central: its cursor for the store, and its own clock when `stamp` is set. */
  function answerHeartbeats(storeId: string, stamp: boolean) {
    return nc.subscribe(names.heartbeatSubject(storeId), {
      callback: (_err, msg) => {
        beats.push(heartbeat.parse(msg.json()));
        msg.respond(JSON.stringify({ lastSeq: 0, ...(stamp ? { centralTime: new Date().toISOString() } : {}) }));
      },
    });
  }
  const startStore = (storeId: string) =>
    createTestStore({
      clock: new ManualClock(Date.now() + TEN_MINUTES),
      env: { SYNC_ENABLED: 'true', NATS_URL, NATS_PREFIX: prefix, STORE_ID: storeId, STARTUP_CENTRAL_CHECK_MS: '0' },
    });

  it('reports the offset on GET /sync, /metrics and to central in its next heartbeat', async () => {
    const sub = answerHeartbeats('ck1', true);
    store = await startStore('ck1');
    const sync = await eventually(
      'the offset measured',
      async () => (await store!.request({ method: 'GET', url: '/sync' })).json<{ clockOffsetMs: number | null }>(),
      (s) => s.clockOffsetMs !== null,
      15_000,
    );
    // Ten minutes ahead, within a round trip (the test's clock is read after the store's).
    expect(sync.clockOffsetMs).toBeGreaterThan(TEN_MINUTES - 2_000);
    expect(sync.clockOffsetMs).toBeLessThanOrEqual(TEN_MINUTES);
    const metrics = (await store.app.inject({ method: 'GET', url: '/metrics' })).body;
    const gauge = Number(/^store_clock_offset_seconds(?:{[^}]*})? (\S+)$/m.exec(metrics)?.[1]);
    expect(gauge).toBeCloseTo(sync.clockOffsetMs! / 1000, 3);
    // The first beat went out before any answer; the next (every 5 s, or at once on a change) carries it.
    expect(beats[0]?.clockOffsetMs).toBeUndefined();
    const carried = await eventually(
      'a heartbeat carrying the offset',
      async () => beats.find((b) => b.clockOffsetMs !== undefined),
      (b) => b !== undefined,
      15_000,
    );
    expect(carried?.clockOffsetMs).toBe(sync.clockOffsetMs);
    sub.unsubscribe();
  }, 30_000);

  it("carries the slowest WAL fsync since the beat before: a sale's shows in the next beat", async () => {
    const sub = answerHeartbeats('ck3', true);
    store = await startStore('ck3');
    const sku = uniqueSku();
    await seedStock(store.app, [{ sku, onHand: 5 }]);
    await eventually(
      'a first heartbeat',
      async () => beats.length,
      (n) => n > 0,
      15_000,
    );
    const sold = await store.request({
      method: 'POST',
      url: '/sales',
      headers: { 'idempotency-key': 'ck3-sale' },
      payload: { lines: [{ sku, qty: 1 }] },
    });
    expect(sold.statusCode).toBe(201);
    const afterSale = beats.length;
    const next = await eventually(
      'the heartbeat after the sale',
      async () => beats[afterSale],
      (b) => b !== undefined,
      15_000,
    );
    // Its own fsync at least, timed: a number of ms, not a flag.
    expect(next?.slowestWalFsyncMs).toBeGreaterThanOrEqual(0);
    expect(next?.slowestWalFsyncMs).toBeLessThan(10_000);
    sub.unsubscribe();
  }, 30_000);

  it('claims nothing while central does not stamp its answers (a central of the release before)', async () => {
    const sub = answerHeartbeats('ck2', false);
    store = await startStore('ck2');
    await eventually(
      'a heartbeat',
      async () => beats.length,
      (n) => n > 0,
      15_000,
    );
    await new Promise((r) => setTimeout(r, 200)); // the answer is back and handled
    expect((await store.request({ method: 'GET', url: '/sync' })).json()).toMatchObject({ clockOffsetMs: null });
    expect((await store.app.inject({ method: 'GET', url: '/metrics' })).body).not.toMatch(
      /^store_clock_offset_seconds[{ ]/m,
    );
    sub.unsubscribe();
  });
});
