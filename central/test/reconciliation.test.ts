import { natsNames, type StoreSkuState, type StoreStateReply, stateChecksum } from '@stocksync/shared';
import { publishProduct } from '@stocksync/shared/testing';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../src/db/database';
import { counter, startCentral } from './helpers/central-harness';
import { type CentralWithStores, startCentralWithStores } from './helpers/central-with-stores';
import { eventually, type TestStore } from './helpers/store-fixture';
import { ADMIN_TOKEN, VIEWER_TOKEN } from './helpers/test-env';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const viewer = { authorization: `Bearer ${VIEWER_TOKEN}` };
const SKUS = ['R-1', 'R-2', 'R-3', 'R-4', 'R-5'];

// PGlite is one process's database: the second replica runs on PostgreSQL only.
describe.each(['postgres', 'pglite'] as const)('reconciliation: central against a real store node (%s)', (driver) => {
  let central: CentralWithStores<'s1'>;
  let app: FastifyInstance;
  let store: TestStore;

  const centralRow = async (sku: string) =>
    rowsOf<{ on_hand: number; reserved: number; version: number }>(
      await app.db.execute(sql`select on_hand, reserved, version from stock where store_id = 's1' and sku = ${sku}`),
    ).map((r) => ({ onHand: r.on_hand, reserved: r.reserved, version: r.version }))[0];
  const storeRow = async (sku: string) => {
    const { onHand, reserved, version } = await store.stock(sku);
    return { onHand, reserved, version };
  };
  /** Waits until central's projection equals the store's for every SKU (the store keeps the truth). */
  const converged = () =>
    eventually(
      async () => Promise.all(SKUS.map(async (sku) => [await storeRow(sku), await centralRow(sku)])),
      // An untouched SKU (version 0) has no row at central.
      (pairs) =>
        pairs.every(([s, c]) => JSON.stringify(s) === JSON.stringify(c ?? { onHand: 0, reserved: 0, version: 0 })),
    );
  const reconcile = async (storeId = 's1') => {
    const res = await app.inject({ method: 'POST', url: `/sync/reconcile/${storeId}`, headers: admin });
    return { status: res.statusCode, body: res.json() };
  };
  const drift = async () =>
    rowsOf<{ sku: string; expected: number; actual: number }>(
      await app.db.execute(
        sql`select sku, expected, actual from discrepancies where kind = 'projection_drift' and store_id = 's1' order by sku, id`,
      ),
    );

  beforeAll(async () => {
    central = await startCentralWithStores({ driver, sync: { reconcileIntervalMs: 0 }, stores: { s1: {} } });
    app = central.app;
    store = central.stores.s1;
    for (const sku of SKUS) {
      await app.db.execute(sql`insert into products (sku, name, price) values (${sku}, ${sku}, '1.00')`);
      await publishProduct(central.nc, central.prefix, sku);
    }
    await eventually(
      async () => Promise.all(SKUS.map(async (sku) => (await store.call('GET', `/stock/${sku}`)).status)),
      (statuses) => statuses.every((s) => s === 200),
    );
    for (const sku of SKUS.slice(0, 4)) await store.receive(sku, 10);
    expect((await store.call('POST', '/sales', { lines: [{ sku: 'R-1', qty: 3 }] })).status).toBe(201);
    expect((await store.call('POST', '/reservations', { sku: 'R-2', qty: 2, ttlSeconds: 600 })).status).toBe(201);
    await converged();
  });
  afterAll(() => central?.stop());

  it("the store answers its state in pages, with lastSeq and the checksum of every touched SKU's state", async () => {
    const ask = async (body: unknown) =>
      (
        await central.nc.request(natsNames(central.prefix).stateSubject('s1'), JSON.stringify(body), { timeout: 3_000 })
      ).json<StoreStateReply & { error?: string }>();
    const pages: StoreStateReply[] = [];
    let afterSku: string | null | undefined;
    do {
      const page = await ask({ limit: 2, ...(afterSku ? { afterSku } : {}) });
      pages.push(page);
      afterSku = page.nextAfterSku;
    } while (afterSku);
    const all: StoreSkuState[] = pages.flatMap((p) => p.stock);
    expect(all.map((s) => s.sku)).toEqual(SKUS);
    expect(pages.map((p) => p.stock.length)).toEqual([2, 2, 1]);
    expect(pages.map((p) => p.lastSeq)).toEqual([6, 6, 6]);
    expect(pages[0]?.checksum).toBeUndefined(); // pages do not hash the whole table
    // Each state names the event that left it: receipts were seqs 1–4, R-1's sale 5, R-2's hold 6.
    expect(all[0]).toEqual({ sku: 'R-1', ...(await storeRow('R-1')), seq: 5 });
    expect(all.map((s) => s.seq)).toEqual([5, 6, 3, 4, 0]);
    const summary = await ask({ limit: 0 });
    // R-5 has no event yet: it does not count.
    expect(summary).toEqual({ lastSeq: 6, ...stateChecksum(all), skuCount: 4, stock: [], nextAfterSku: null });
    expect((await ask({ limit: 2, afterSku: 'R-4' })).stock.map((s) => s.sku)).toEqual(['R-5']);
    expect((await ask({ limit: 2, extra: true })).error).toMatch(/invalid/);
  });

  it('a store in step with central matches; drift behind apply is repaired from the store, never regressed', async () => {
    const storeSeq = async () => (await store.call<{ lastSeq: number }>('GET', '/sync')).body.lastSeq;
    expect(await reconcile()).toEqual({
      status: 200,
      body: { storeId: 's1', result: 'match', lastSeq: await storeSeq(), skus: 4, repaired: 0, diverged: 0 },
    });
    expect(await drift()).toEqual([]);

    const before = await centralRow('R-4');
    await app.db.execute(sql`update stock set on_hand = on_hand + 5 where store_id = 's1' and sku = 'R-1'`);
    await app.db.execute(sql`delete from stock where store_id = 's1' and sku = 'R-2'`);
    await app.db.execute(
      sql`update stock set version = version - 1, on_hand = 1 where store_id = 's1' and sku = 'R-3'`,
    );
    await app.db.execute(sql`update stock set version = version + 7 where store_id = 's1' and sku = 'R-4'`);

    const first = await reconcile();
    expect(first).toMatchObject({ status: 200, body: { result: 'diverged', repaired: 3, diverged: 1 } });
    for (const sku of ['R-1', 'R-2', 'R-3']) expect(await centralRow(sku)).toEqual(await storeRow(sku));
    // Central ahead of the store is reported, not rolled back (§8.4).
    expect(await centralRow('R-4')).toEqual({ ...before, version: (before?.version ?? 0) + 7 });
    expect(await drift()).toEqual([
      { sku: 'R-1', expected: 7, actual: 12 },
      { sku: 'R-2', expected: 10, actual: 0 },
      { sku: 'R-3', expected: 10, actual: 1 },
      { sku: 'R-4', expected: 10, actual: 10 },
    ]);
    const sync = (await app.inject({ method: 'GET', url: '/sync', headers: viewer })).json();
    expect(sync.items.find((s: { storeId: string }) => s.storeId === 's1')).toMatchObject({
      reconcileResult: 'diverged',
      lastReconciledAt: expect.any(String),
    });
    expect(await counter(app, 'central_reconcile_skus_total')).toBe(4);

    // The same divergence on the next check is one record, not two; undone by HQ, the store matches again.
    expect((await reconcile()).body).toMatchObject({ result: 'diverged', repaired: 0, diverged: 1 });
    expect(await drift()).toHaveLength(4);
    await app.db.execute(sql`update stock set version = version - 7 where store_id = 's1' and sku = 'R-4'`);
    expect((await reconcile()).body).toMatchObject({ result: 'match' });

    // New sales after the repair apply on top of the repaired rows (their versions continue the store's).
    expect(
      (
        await store.call('POST', '/sales', {
          lines: [
            { sku: 'R-1', qty: 1 },
            { sku: 'R-2', qty: 1 },
          ],
        })
      ).status,
    ).toBe(201);
    await converged();
  });

  it('a repaired row opens or resolves its low-stock alert, as an applied event would', async () => {
    const alerts = async () =>
      rowsOf<{ status: string; available: number; min_stock: number }>(
        await app.db.execute(
          sql`select status, available, min_stock from alerts where store_id = 's1' and sku = 'R-3' order by id`,
        ),
      ).map((a) => [a.status, a.available, a.min_stock]);
    const tamper = (minStock: number, onHand: number) =>
      app.db.execute(sql`update stock set min_stock = ${minStock}, on_hand = ${onHand}, version = version - 1
        where store_id = 's1' and sku = 'R-3'`);
    expect(await storeRow('R-3')).toMatchObject({ onHand: 10, reserved: 0 });

    await tamper(15, 20); // central wrongly sees 20 ≥ 15: no alert; the store's 10 is below
    expect((await reconcile()).body).toMatchObject({ result: 'repaired', repaired: 1 });
    expect(await alerts()).toEqual([['open', 10, 15]]);
    await tamper(5, 1); // central wrongly sees 1; the store's 10 is above 5
    expect((await reconcile()).body).toMatchObject({ result: 'repaired', repaired: 1 });
    expect(await alerts()).toEqual([['resolved', 10, 15]]);
    expect(await centralRow('R-3')).toEqual(await storeRow('R-3'));
  });

  it('unknown and unreachable stores get 404 and 503', async () => {
    expect(await reconcile('nowhere')).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    await app.db.execute(sql`insert into stores (store_id) values ('s-gone') on conflict do nothing`);
    expect(await reconcile('s-gone')).toMatchObject({ status: 503, body: { code: 'STORE_UNAVAILABLE' } });
  });

  if (driver === 'postgres')
    it('the periodic sweep of a second replica repairs by itself', async () => {
      const replica = await startCentral({
        prefix: central.prefix,
        env: central.backend.env,
        sync: { reconcileIntervalMs: 300 },
      });
      try {
        await app.db.execute(sql`update stock set reserved = 0 where store_id = 's1' and sku = 'R-2'`);
        await eventually(
          () => centralRow('R-2'),
          (row) => row?.reserved === 2,
        );
        expect(await centralRow('R-2')).toEqual(await storeRow('R-2'));
        // The row commits before the sweep finishes its outcome (discrepancy, alerts, then the counter).
        await eventually(
          () => counter(replica, 'central_reconciliations_total'),
          (total) => total > 0,
        );
        expect(await drift()).toContainEqual({ sku: 'R-2', expected: 9, actual: 9 });
      } finally {
        await replica.close();
      }
    });

  it('events still on their way are never taken for drift', async () => {
    await app.sync.consumer.stop();
    const before = await Promise.all(SKUS.map(centralRow));
    const findings = (await drift()).length;
    expect((await store.call('POST', '/sales', { lines: [{ sku: 'R-3', qty: 2 }] })).status).toBe(201);
    const outcome = await reconcile();
    expect(outcome.body).toMatchObject({ result: 'in_flight', pendingSkus: 1 }); // R-3; the rest matched
    expect(outcome.body.storeSeq).toBeGreaterThan(outcome.body.centralSeq);
    const sync = (await app.inject({ method: 'GET', url: '/sync', headers: viewer })).json();
    expect(sync.items.find((s: { storeId: string }) => s.storeId === 's1')).toMatchObject({
      reconcileResult: 'in_flight', // checked, so an operator's "not reconciled for an hour" stays quiet
    });
    expect(await Promise.all(SKUS.map(centralRow))).toEqual(before);
    expect(await drift()).toHaveLength(findings);
  });

  it('a busy store, its latest events still on their way, has its drifted rows repaired all the same', async () => {
    await app.sync.consumer.stop(); // central stays behind the store's seq for the whole check
    expect((await store.call('POST', '/sales', { lines: [{ sku: 'R-3', qty: 1 }] })).status).toBe(201);
    const r3 = await centralRow('R-3');
    await app.db.execute(sql`update stock set on_hand = on_hand + 5 where store_id = 's1' and sku = 'R-1'`);
    await app.db.execute(
      sql`update stock set on_hand = on_hand + 1, version = version - 1 where store_id = 's1' and sku = 'R-4'`,
    );

    const outcome = await reconcile();
    expect(outcome.body).toMatchObject({ result: 'repaired', repaired: 2, diverged: 0 });
    const [cursor] = rowsOf<{ last_seq: string | number }>(
      await app.db.execute(sql`select last_seq from stores where store_id = 's1'`),
    );
    expect(outcome.body.lastSeq).toBeGreaterThan(Number(cursor?.last_seq));
    expect(await centralRow('R-1')).toEqual(await storeRow('R-1'));
    expect(await centralRow('R-4')).toEqual(await storeRow('R-4'));
    expect(await centralRow('R-3')).toEqual(r3); // its sale is on its way: not judged, not touched
  });
});
