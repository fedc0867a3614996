import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { natsNames } from '@stocksync/shared';
import { nodeArgsFor, type ServiceProcess } from '@stocksync/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './helpers/http-client';
import { type ProcessChain, startProcessChain } from './helpers/process-chain';

type Stock = { sku: string; onHand: number; reserved: number; version: number };
type Transfer = { id: string; status: string };
const SKUS = ['HR-1', 'HR-2'];
const ROOT = new URL('../../', import.meta.url).pathname;
const IMPORT_CATALOG = `${ROOT}scripts/src/import-catalog.ts`;

/** Central's database goes back in time (or is lost): the stores' ledgers are what bring it back. */
describe("central restored from an older backup catches up from the stores' ledgers", () => {
  let chain: ProcessChain;
  let s1: ServiceProcess;
  let s2: ServiceProcess;
  beforeAll(async () => {
    chain = await startProcessChain({ name: 'hqrestore' });
    for (const sku of SKUS)
      expect((await chain.hq('POST', '/products', { sku, name: sku, price: '2.00' })).status).toBe(201);
    s1 = await chain.startStore('s1');
    s2 = await chain.startStore('s2');
    // Either case may run alone (-t): both stores hold the catalog and opening stock of every SKU first.
    for (const s of [s1, s2]) {
      await eventually(
        'catalog',
        async () => (await chain.at<{ items: unknown[] }>(s, 'GET', '/products')).body.items?.length,
        (n) => n === SKUS.length,
      );
      await post(
        s,
        '/receipts',
        SKUS.map((sku) => ({ sku, qty: 20 })),
      );
    }
  }, 60_000);
  afterAll(() => chain?.stop());

  const post = async (store: ServiceProcess, path: string, lines: Array<{ sku: string; qty: number }>) =>
    expect((await chain.at(store, 'POST', path, { lines })).status).toBe(201);
  const storeSeq = async (store: ServiceProcess) =>
    (await chain.at<{ lastSeq: number }>(store, 'GET', '/sync')).body.lastSeq;
  const centralSeq = async (storeId: string) =>
    Number((await chain.db.query('select last_seq from stores where store_id = $1', [storeId])).rows[0]?.last_seq);
  const caughtUp = () =>
    eventually(
      'central caught up with both stores',
      async () => [await centralSeq('s1'), await storeSeq(s1), await centralSeq('s2'), await storeSeq(s2)],
      ([a, b, c, d]) => a === b && c === d,
      30_000,
    );
  /** Every (store, SKU) at central equals the store's own row, and its ledger holds each event once. */
  async function expectCentralEqualsStores() {
    for (const store of [s1, s2]) {
      for (const sku of SKUS) {
        const { onHand, reserved, version } = (await chain.at<Stock>(store, 'GET', `/stock/${sku}`)).body;
        const { rows } = await chain.db.query<Stock>(
          'select sku, on_hand as "onHand", reserved, version from stock where store_id = $1 and sku = $2',
          [store.name, sku],
        );
        expect(rows[0]).toEqual({ sku, onHand, reserved, version });
      }
    }
    const { rows } = await chain.db.query<{ n: string; distinct: string }>(
      'select count(*) as n, count(distinct event_id) as distinct from ledger',
    );
    expect(Number(rows[0]?.n)).toBe((await storeSeq(s1)) + (await storeSeq(s2)));
    expect(rows[0]?.n).toBe(rows[0]?.distinct);
  }

  it('applies every event the backup lacks, once, with no store sending anything new', async () => {
    await caughtUp();

    const dump = join(chain.dir, 'central.dump');
    execFileSync('pg_dump', ['-Fc', '--no-owner', '-d', chain.databaseUrl, '-f', dump]);

    // After the backup: sales at both stores and a transfer requested and shipped.
    await post(s1, '/sales', [{ sku: 'HR-1', qty: 2 }]);
    await post(s2, '/sales', [
      { sku: 'HR-2', qty: 3 },
      { sku: 'HR-1', qty: 1 },
    ]);
    const transferId = await chain.requestTransfer('HR-1', 's1', 's2', 4);
    await eventually(
      'transfer at s1',
      async () => (await chain.at<Transfer>(s1, 'POST', `/transfers/${transferId}/ship`)).body.status,
      (s) => s === 'in_transit',
    );
    await caughtUp();

    await chain.central.stop();
    execFileSync('pg_restore', ['--clean', '--if-exists', '--no-owner', '-d', chain.databaseUrl, dump]);
    expect(await centralSeq('s1')).toBeLessThan(await storeSeq(s1));
    await chain.central.start();

    // Nothing new is sold: only the stores' ledgers can bring central back.
    await caughtUp();
    await expectCentralEqualsStores();
    // A transfer created after the backup is HQ's own row, in no store ledger: central cannot rebuild it,
    // and its shipment is not dropped silently but shown to HQ as a discrepancy naming it.
    expect((await chain.hq('GET', `/transfers/${transferId}`)).status).toBe(404);
    const found = await chain.hq<{ items: Array<{ ref: string | null; storeId: string; actual: number }> }>(
      'GET',
      '/discrepancies?kind=transfer_conflict',
    );
    expect(found.body.items).toEqual([expect.objectContaining({ ref: transferId, storeId: 's1', actual: 4 })]);
  }, 180_000);

  it('rebuilds every store from nothing when the database is lost without a backup, and the catalog from NATS', async () => {
    await post(s1, '/receipts', [{ sku: 'HR-1', qty: 3 }]);
    await caughtUp();
    // HQ-only records the stores cannot resend: a store's own minimum (an alert follows) and a deactivation.
    expect((await chain.hq('PUT', '/stores/s1/min-stock/HR-1', { minStock: 1_000 })).body).toMatchObject({
      published: true,
    });
    expect((await chain.hq('DELETE', '/products/HR-2')).status).toBe(200);
    const hr2AtStore = async () => (await chain.at<CatalogRow>(s2, 'GET', '/products/HR-2')).body.active;
    await eventually('HR-2 inactive at s2', hr2AtStore, (active) => active === false);
    const catalogBefore = await catalogAtCentral();
    const openAlerts = async () =>
      (await chain.hq<{ items: Array<{ storeId: string; sku: string }> }>('GET', '/alerts?status=open')).body.items.map(
        (a) => `${a.storeId}/${a.sku}`,
      );
    expect(await openAlerts()).toContain('s1/HR-1');

    await chain.central.stop();
    const wipe =
      'set client_min_messages = warning; drop schema public cascade; create schema public; drop schema if exists drizzle cascade';
    execFileSync('psql', ['-q', '-d', chain.databaseUrl, '-c', wipe]);
    await chain.central.start();
    await caughtUp();
    await expectCentralEqualsStores();
    expect(await catalogAtCentral()).toEqual([]);

    // Central keeps running; the script adds what the buckets hold and central lacks.
    const env = {
      ...process.env,
      NATS_URL: chain.nats.url,
      NATS_PREFIX: chain.prefix,
      DATABASE_URL: chain.databaseUrl,
    };
    const importCatalog = () =>
      execFileSync(process.execPath, nodeArgsFor(IMPORT_CATALOG), { cwd: ROOT, env }).toString();
    // The alert it opens is announced as the apply's are, for dashboards and SSE clients.
    const watcher = await connect({ servers: chain.nats.url });
    const announced: string[] = [];
    watcher.subscribe(natsNames(chain.prefix).alertsSubject('*'), {
      callback: (_err, msg) => {
        const { storeId, sku, status } = msg.json<{ storeId: string; sku: string; status: string }>();
        announced.push(`${storeId}/${sku}/${status}`);
      },
    });
    await watcher.flush();
    expect(importCatalog()).toMatch(
      /: 2 products added \(0 already there\), 1 store minimums added .*, 1 low-stock alerts opened/,
    );
    await eventually(
      'the opened alert announced on NATS',
      async () => announced,
      (a) => a.length > 0,
    );
    await watcher.close();
    expect(announced).toEqual(['s1/HR-1/open']);
    expect(await catalogAtCentral()).toEqual(catalogBefore);
    const { rows } = await chain.db.query('select min_stock from stock where store_id = $1 and sku = $2', [
      's1',
      'HR-1',
    ]);
    expect(rows).toEqual([{ min_stock: 1_000 }]);
    expect(await openAlerts()).toContain('s1/HR-1');
    // A second run adds nothing, and the stores still hold the same catalog.
    expect(importCatalog()).toMatch(
      /: 0 products added \(2 already there\), 0 store minimums added \(1 already there\)/,
    );
    expect(await hr2AtStore()).toBe(false);
  }, 120_000);

  type CatalogRow = {
    sku: string;
    name: string;
    price: string;
    category: string;
    defaultMinStock: number;
    active: boolean;
  };
  /** The catalog's record at central, without the fields a re-creation changes (versions, timestamps). */
  async function catalogAtCentral() {
    const { body } = await chain.hq<{ items: CatalogRow[] }>('GET', '/products?limit=100');
    return (body.items ?? []).map(({ sku, name, price, category, defaultMinStock, active }) => ({
      sku,
      name,
      price,
      category,
      defaultMinStock,
      active,
    }));
  }
});
