import type { AlertMessage, StockEvent } from '@stocksync/shared';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, type DatabaseHandle, openDatabase } from '../src/db/database';
import { type ApplyBatchOptions, type ApplyHook, applyBatch, type CursorCache } from '../src/domain/apply-batch';
import { lowStockApplyHook } from '../src/domain/low-stock-alerts';
import { createBackend, type Driver, ledgerSums, projection, syncSnapshot } from './helpers/central-harness';
import { expectedProjection, rng, StoreEventFactory } from './helpers/event-factory';

/** Counts transactions: the fast path takes none (one statement), the transaction path one. */
function counting(db: Database) {
  const count = { transactions: 0 };
  const wrapped = new Proxy(db, {
    get(target, key, receiver) {
      if (key === 'transaction') count.transactions++;
      return Reflect.get(target, key, receiver);
    },
  });
  return { db: wrapped, count };
}

describe.each<Driver>(['postgres', 'pglite'])('one-statement fast apply on %s', (driver) => {
  let backend: Awaited<ReturnType<typeof createBackend>>;
  let handle: DatabaseHandle;

  beforeAll(async () => {
    backend = await createBackend(driver);
    handle = await openDatabase({ databaseUrl: backend.env.DATABASE_URL, dataDir: backend.env.DATA_DIR });
  });
  afterAll(async () => {
    await handle?.close();
    await backend?.cleanup();
  });

  it('two replicas with stale cursor caches apply every event exactly once', async () => {
    const { db, count } = counting(handle.db);
    const store = new StoreEventFactory('f1', rng(5));
    const events = store.generate(60, ['A-1', 'A-2', 'B-1']);
    const replica = (): ApplyBatchOptions => ({ window: 1000, knownStores: new Set(), cursorCache: new Map() });
    const [a, b] = [replica(), replica()];
    const run = (opts: ApplyBatchOptions, batch: readonly StockEvent[]) => applyBatch(db, { events: batch }, opts);

    await run(a, events.slice(0, 5)); // transaction path: fills a's cache
    const before = count.transactions;
    expect((await run(a, events.slice(5, 10))).applied).toHaveLength(5);
    expect(count.transactions).toBe(before); // fast path
    await run(b, events.slice(10, 20)); // b has no cache: transaction path, a's cache is now stale
    // a's guess (seq 10) is wrong: the statement writes nothing, the transaction path sees duplicates.
    const late = await run(a, events.slice(10, 15));
    expect(late).toMatchObject({ applied: [], duplicates: 5 });
    expect((await run(a, events.slice(20, 40))).applied).toHaveLength(20);
    const fast = count.transactions;
    expect((await run(a, events.slice(40, 50))).applied).toHaveLength(10);
    expect(count.transactions).toBe(fast);
    // b is stale by 30 events; a duplicate re-sent hours later is still skipped.
    expect(await run(b, [...events.slice(40, 45), ...events.slice(50, 60)])).toMatchObject({ duplicates: 5 });
    expect((await run(a, events.slice(0, 60))).applied).toHaveLength(0);

    const snap = await syncSnapshot(handle.db);
    expect(snap.stores.f1).toEqual({ lastSeq: 60, chainStatus: 'ok' });
    expect(snap.ledger).toBe(60);
    expect(snap.distinctEvents).toBe(60);
    expect(await projection(handle.db)).toEqual(expectedProjection([store]));
    const sums = await ledgerSums(handle.db);
    for (const [key, state] of await projection(handle.db)) {
      expect(sums.get(key)).toEqual({ onHand: state.onHand, reserved: state.reserved });
    }
  });

  it('takes the transaction path for gaps and breaks, and evaluates alerts in the statement', async () => {
    await handle.db.execute(
      sql`insert into products (sku, name, price, default_min_stock) values ('G-1', 'g', 1, 1000)`,
    );
    const published: AlertMessage[][] = [];
    const other: ApplyHook = Object.assign(async () => undefined, { relevant: () => false });
    const cache: CursorCache = new Map();
    const opts: ApplyBatchOptions = {
      window: 1000,
      knownStores: new Set(),
      cursorCache: cache,
      hooks: [other, lowStockApplyHook((changed) => void published.push(changed))],
    };
    const { db, count } = counting(handle.db);
    const store = new StoreEventFactory('g1', rng(9));
    const events = store.generate(12, ['G-1']);
    await applyBatch(db, { events: events.slice(0, 2) }, opts);
    expect(published.flat().map((a) => a.status)).toEqual(['open']);

    const start = count.transactions;
    const gap = await applyBatch(db, { events: events.slice(3, 5) }, opts); // seq 3 missing
    expect(gap).toMatchObject({ applied: [], buffered: 2 });
    expect(cache.has('g1')).toBe(false);
    expect((await applyBatch(db, { events: events.slice(2, 3) }, opts)).applied).toHaveLength(3);
    const tampered = { ...(events[5] as StockEvent), delta: 999 };
    expect((await applyBatch(db, { events: [tampered] }, opts)).breaks).toHaveLength(1);
    expect(count.transactions - start).toBe(3);
    expect((await applyBatch(db, { events: events.slice(5, 12) }, opts)).applied).toHaveLength(7);
    const fast = count.transactions;
    await handle.db.execute(sql`update products set default_min_stock = 0 where sku = 'G-1'`);
    expect((await applyBatch(db, { events: [store.next('G-1')] }, opts)).applied).toHaveLength(1);
    expect(count.transactions).toBe(fast);
    expect(published.flat().map((a) => a.status)).toEqual(['open', 'resolved']);
    expect((await syncSnapshot(handle.db)).stores.g1).toEqual({ lastSeq: 13, chainStatus: 'ok' });
  });
});
