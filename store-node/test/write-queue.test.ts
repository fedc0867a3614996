import { DomainError, ErrorCode } from '@stocksync/shared';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedStock, uniqueSku } from './support/factories';
import { expectStoreInvariants } from './support/invariants';
import { createTestStore, type TestStore } from './support/test-store';

describe('group commit', () => {
  let store: TestStore;
  let sku: string;
  beforeEach(async () => {
    store = await createTestStore();
    sku = uniqueSku();
    await seedStock(store.app, [{ sku, onHand: 100 }]);
  });
  afterEach(async () => {
    await store.close();
  });

  it('writes submitted together share one commit, and a failing one leaves no trace or seq gap', async () => {
    const { app } = store;
    const flushesBefore = await metric(app, 'store_write_batch_size_count');
    const jobs = [
      app.writes.submit(() => app.inventory.sell([{ sku, qty: 1 }])),
      app.writes.submit(() => {
        app.inventory.sell([{ sku, qty: 2 }]);
        throw new DomainError(ErrorCode.CONFLICT, 'changed my mind after writing');
      }),
      app.writes.submit(() => app.inventory.sell([{ sku, qty: 3 }])),
    ];
    const results = await Promise.allSettled(jobs);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await metric(app, 'store_write_batch_size_count')).toBe(flushesBefore + 1);
    const sold = app.sqlite.prepare(`select seq, delta from ledger where type = 'stock.sold' order by seq`).all();
    expect(sold).toEqual([
      { seq: 2, delta: -1 },
      { seq: 3, delta: -3 },
    ]);
    expect(app.sqlite.prepare('select on_hand from stock where sku = ?').pluck().get(sku)).toBe(96);
    expectStoreInvariants(app.sqlite);
  });

  it('a write that finds the database full is refused with STORAGE_FULL, leaves no trace, and the flag clears on the next commit', async () => {
    const { app } = store;
    const changes: boolean[] = [];
    app.writes.onStorageChange((full) => changes.push(full));
    limitFileGrowth(app);
    const huge = oversizedWrite(app);
    const results = await Promise.allSettled([
      app.writes.submit(() => app.inventory.sell([{ sku, qty: 1 }])),
      app.writes.submit(huge),
      app.writes.submit(() => app.inventory.sell([{ sku, qty: 2 }])),
    ]);
    // SQLite rolls the whole transaction back on SQLITE_FULL: the batch fails as one, each write refused
    // with the same clear error, and the in-memory chain head rewinds with it (no seq gap below).
    for (const r of results) {
      expect(r).toMatchObject({ status: 'rejected', reason: { code: ErrorCode.STORAGE_FULL, statusCode: 507 } });
    }
    expect(app.writes.storageFull).toBe(true);
    expect(changes).toEqual([true]);
    expect(app.sqlite.prepare('select count(*) from idempotency_keys').pluck().get()).toBe(0);
    expect(app.sqlite.prepare(`select count(*) from ledger where type = 'stock.sold'`).pluck().get()).toBe(0);

    app.sqlite.pragma('max_page_count = 4294967294');
    await app.writes.submit(() => app.inventory.sell([{ sku, qty: 1 }]));
    expect(app.writes.storageFull).toBe(false);
    expect(changes).toEqual([true, false]);
    expectStoreInvariants(app.sqlite);
  });

  it('a store that sells nothing after its disk filled sees the flag clear by itself once there is room', async () => {
    const { app } = store;
    limitFileGrowth(app);
    const huge = oversizedWrite(app);
    await expect(app.writes.submit(huge)).rejects.toMatchObject({ code: ErrorCode.STORAGE_FULL });
    const ledgerBefore = app.sqlite.prepare('select count(*) from ledger').pluck().get();
    const health = async () => (await store.request({ method: 'GET', url: '/health' })).json();
    expect(await health()).toMatchObject({ storage: { full: true } });

    app.sqlite.pragma('max_page_count = 4294967294'); // the operator freed space; no POS writes
    const deadline = Date.now() + 10_000;
    while (app.writes.storageFull && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await health()).toMatchObject({ storage: { full: false } });
    expect(await metric(app, 'store_storage_full')).toBe(0);
    expect(app.sqlite.prepare('select count(*) from ledger').pluck().get()).toBe(ledgerBefore);
    expectStoreInvariants(app.sqlite);
  });

  it('another program holding the write lock gets the writes refused with a 503, not a frozen node or a 500', async () => {
    const { app } = store;
    const sell = () =>
      store.request({
        method: 'POST',
        url: '/sales',
        headers: { 'idempotency-key': 'while-locked' },
        payload: { lines: [{ sku, qty: 1 }] },
      });
    const other = new Database(app.sqliteFile);
    other.exec('BEGIN IMMEDIATE'); // e.g. someone's sqlite3 session on the live file
    try {
      const refused = await sell();
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toMatchObject({ code: ErrorCode.DEPENDENCY_UNAVAILABLE });
      // Reads go on (WAL): the POS still sees stock.
      expect((await store.request({ method: 'GET', url: `/stock/${sku}` })).json()).toMatchObject({ onHand: 100 });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    const retried = await sell();
    expect(retried.statusCode).toBe(201);
    expect(app.sqlite.prepare(`select count(*) from ledger where type = 'stock.sold'`).pluck().get()).toBe(1);
    expectStoreInvariants(app.sqlite);
  });

  it('a batch that writes nothing needs no fsync, yet never answers ahead of an fsync in flight', async () => {
    const { app } = store;
    const before = app.writes.fsyncs;
    await app.writes.submit(() => app.repos.stock.find(sku));
    expect(app.writes.fsyncs).toBe(before);
    await app.writes.submit(() => app.inventory.sell([{ sku, qty: 1 }]));
    expect(app.writes.fsyncs).toBe(before + 1);
    expect(await metric(app, 'store_wal_fsyncs_total')).toBe(before + 1);
    // Each fsync is timed, the refused and the read-only batches' non-fsyncs are not.
    expect(await metric(app, 'store_wal_fsync_seconds_count')).toBe(before + 1);
    // The heartbeat's figure: the longest since it was last taken, then nothing until the next fsync.
    expect(app.writes.takeSlowestSyncMs()).toBeGreaterThanOrEqual(0);
    expect(app.writes.takeSlowestSyncMs()).toBeNull();
    await app.writes.submit(() => app.repos.stock.find(sku));
    expect(app.writes.takeSlowestSyncMs()).toBeNull();
    // One in flight counts by its age (a hung disk shows while it hangs), and again once it returns.
    const inFlight = app.writes.submit(() => app.inventory.sell([{ sku, qty: 1 }]));
    await new Promise((resolve) => setImmediate(resolve));
    expect(app.writes.takeSlowestSyncMs()).toBeGreaterThanOrEqual(0);
    await inFlight;
    expect(app.writes.takeSlowestSyncMs()).toBeGreaterThanOrEqual(0);

    // A read queued while a write's fsync is in flight may have read that write: it waits for it.
    const answered: string[] = [];
    const write = app.writes.submit(() => app.inventory.sell([{ sku, qty: 1 }])).then(() => answered.push('write'));
    await new Promise((resolve) => setImmediate(resolve));
    const read = app.writes.submit(() => app.repos.stock.find(sku)).then(() => answered.push('read'));
    await Promise.all([write, read]);
    expect(answered).toEqual(['write', 'read']);
  });

  it('a write submitted along rides in the next batch, or commits on its own when none comes', async () => {
    const { app } = store;
    const flushes = () => metric(app, 'store_write_batch_size_count');
    const before = await flushes();
    const rider = app.writes.submitAlong(() => app.repos.outbox.markSentUpTo(1), 60_000);
    await app.writes.submit(() => app.inventory.sell([{ sku, qty: 1 }]));
    await rider;
    expect(await flushes()).toBe(before + 1);
    expect(app.repos.outbox.stats(Date.now()).lastPublishedSeq).toBe(1);

    // Nothing else commits: the rider goes alone once its wait is over.
    const alone = app.writes.submitAlong(() => app.repos.outbox.markSentUpTo(2), 20);
    await alone;
    expect(await flushes()).toBe(before + 2);
    expect(app.repos.outbox.stats(Date.now()).lastPublishedSeq).toBe(2);
  });

  it('writes that arrive while an fsync is in flight commit together once it returns', async () => {
    const { app } = store;
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const sell = () => app.writes.submit(() => app.inventory.sell([{ sku, qty: 1 }]));
    // Inconclusive when the disk answers an fsync within two loop turns: try again then.
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = await metric(app, 'store_write_batch_size_count');
      let firstAnswered = false;
      const first = sell().then(() => {
        firstAnswered = true;
      });
      await turn(); // the first commit is in, its fsync in flight
      const second = sell();
      await turn();
      const third = sell();
      const overlapped = !firstAnswered;
      await Promise.all([first, second, third]);
      if (!overlapped) continue;
      expect(await metric(app, 'store_write_batch_size_count')).toBe(before + 2);
      expectStoreInvariants(app.sqlite);
      return;
    }
    throw new Error('every fsync returned within two loop turns; nothing to observe');
  });

  it('exposes sales and outbox depth as Prometheus metrics', async () => {
    await store.request({ method: 'POST', url: '/sales', payload: { lines: [{ sku, qty: 1 }] } });
    const text = (await store.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/^store_sales_total\{service="store-node"\} 1$/m);
    expect(text).toMatch(/^store_outbox_pending\{service="store-node"\} 2$/m);
    expect(text).toContain('http_request_duration_seconds_bucket');
  });
});

/** SQLite's own limit on the file's size gives the same SQLITE_FULL a full disk does. */
function limitFileGrowth(app: TestStore['app']): void {
  const pages = app.sqlite.pragma('page_count', { simple: true }) as number;
  app.sqlite.pragma(`max_page_count = ${pages + 4}`);
}

/** A write far larger than the room `limitFileGrowth` leaves. */
const oversizedWrite = (app: TestStore['app']) => () =>
  app.repos.idempotency.insert({
    key: 'huge',
    requestHash: 'h',
    statusCode: 201,
    response: 'x'.repeat(1_000_000),
    createdAtMs: 0,
  });

async function metric(app: TestStore['app'], name: string): Promise<number> {
  const text = await app.metrics.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
