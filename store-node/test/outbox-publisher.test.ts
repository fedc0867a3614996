import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsNames, type StockEvent, verifyChain } from '@stocksync/shared';
import { deleteStreams, readStream, TestNatsServer } from '@stocksync/shared/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seedStock, uniqueSku } from './support/factories';
import { readLedger } from './support/invariants';
import { createTestStore, type TestStore } from './support/test-store';

async function until<T>(probe: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // The test's own connection may still be reconnecting after a NATS restart: retry, don't fail.
    const value = await Promise.resolve()
      .then(probe)
      .catch((error: unknown) => {
        if (Date.now() > deadline) throw error;
        return undefined;
      });
    if (value !== undefined && (ok(value) || Date.now() > deadline)) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const syncState = async (store: TestStore) => (await store.request({ method: 'GET', url: '/sync' })).json();
const sell = (store: TestStore, sku: string, qty = 1) =>
  store.request({ method: 'POST', url: '/sales', payload: { lines: [{ sku, qty }] } });

describe('outbox → JetStream publisher', () => {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let store: TestStore | undefined;
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const names = natsNames(prefix);

  beforeAll(async () => {
    nats = await TestNatsServer.start();
    nc = await connect({ servers: nats.url, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    await deleteStreams(nc, [names.eventsStream]);
  });
  afterAll(async () => {
    await nc.close();
    await nats.stop();
  });

  const startStore = () =>
    createTestStore({ env: { SYNC_ENABLED: 'true', NATS_URL: nats.url, NATS_PREFIX: prefix, STORE_ID: 'p1' } });

  it('publishes every committed event in seq order, the exact ledger bytes, then reports nothing pending', async () => {
    store = await startStore();
    const sku = uniqueSku();
    await seedStock(store.app, [{ sku, onHand: 50 }]);
    await Promise.all(Array.from({ length: 40 }, () => sell(store!, sku)));
    const state = await until(
      () => syncState(store!),
      (s) => s.pending === 0 && s.lastPublishedSeq === 41,
    );
    expect(state).toMatchObject({ online: true, pending: 0, lastSeq: 41, lastPublishedSeq: 41, oldestPendingAgeMs: 0 });
    const published = await readStream<StockEvent>(nc, names.eventsStream);
    expect(published).toEqual(readLedger(store.app.sqlite, 'p1'));
    expect(verifyChain(published)).toBeNull();
  });

  it('keeps selling while NATS is down, then drains in order when it returns, each event once', async () => {
    store = await startStore();
    const sku = uniqueSku();
    await seedStock(store.app, [{ sku, onHand: 1_000 }]);
    await until(
      () => syncState(store!),
      (s) => s.pending === 0,
    );

    await nats.kill();
    const offline = await Promise.all(Array.from({ length: 100 }, () => sell(store!, sku)));
    expect(offline.every((r) => r.statusCode === 201)).toBe(true);
    const down = await until(
      () => syncState(store!),
      (s) => !s.online,
    );
    expect(down).toMatchObject({ online: false, pending: 100, lastSeq: 101 });

    await nats.restart();
    const after = await until(
      () => syncState(store!),
      (s) => s.online && s.pending === 0,
      30_000,
    );
    expect(after).toMatchObject({ pending: 0, lastPublishedSeq: 101 });
    const published = await until(
      () => readStream<StockEvent>(nc, names.eventsStream),
      (p) => p.length >= 101,
    );
    expect(published.map((e) => e.seq)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    expect(verifyChain(published)).toBeNull();
  });

  it('answers a resend request from the ledger, with fresh msgIDs so JetStream does not drop them', async () => {
    store = await startStore();
    const sku = uniqueSku();
    await seedStock(store.app, [{ sku, onHand: 10 }]);
    for (let i = 0; i < 5; i++) await sell(store, sku);
    await until(
      () => syncState(store!),
      (s) => s.pending === 0,
    );
    const reply = await nc.request(names.resendSubject('p1'), JSON.stringify({ fromSeq: 3 }), { timeout: 5_000 });
    expect(reply.json()).toEqual({ republished: 4, lastSeq: 6 });
    const published = await until(
      () => readStream<StockEvent>(nc, names.eventsStream),
      (p) => p.length >= 10,
    );
    expect(published.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 3, 4, 5, 6]);
    expect(published.slice(6)).toEqual(published.slice(2, 6));
  });
});
