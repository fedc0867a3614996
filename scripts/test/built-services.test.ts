import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { nodeArgsFor, type ServiceProcess } from '@stocksync/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedStore } from '../../store-node/src/seed-store';
import { buildServices } from '../src/build';
import { eventually, http } from './helpers/http-client';
import { type ProcessChain, startProcessChain } from './helpers/process-chain';

const run = promisify(execFile);
const RECOVER = fileURLToPath(new URL('../../store-node/dist/recover.js', import.meta.url));
const SKUS = ['BLT-1', 'BLT-2'];

/**
 * What production runs is the bundle, not the sources the other tests run through tsx: this builds it
 * and checks each part that resolves a file at run time (migrations of both services, the publisher
 * thread's own bundle, the dashboard's assets, the recovery command).
 */
describe('the bundled services (npm run build) run the chain', () => {
  let chain: ProcessChain;
  let store: ServiceProcess;

  beforeAll(async () => {
    await buildServices();
    chain = await startProcessChain({ name: 'built', built: true });
    const products = SKUS.map((sku) => ({ sku, name: sku, price: '1.00' }));
    await seedStore({ dataDir: chain.storeDir('b1'), storeId: 'b1', products, openingStock: () => 20 });
    store = await chain.startStore('b1');
  });

  afterAll(async () => {
    await chain?.stop();
  });

  it('a sale at the bundled store reaches the bundled central; the dashboard and recovery command work', async () => {
    const sale = await http(store.url, chain.tokens.store, 'POST', '/sales', {
      lines: [
        { sku: 'BLT-1', qty: 3 },
        { sku: 'BLT-2', qty: 1 },
      ],
    });
    expect(sale.status).toBe(201);
    const seq = (await http<{ lastSeq: number }>(store.url, chain.tokens.store, 'GET', '/sync')).body.lastSeq;
    expect(seq).toBeGreaterThan(0);

    // Only the publisher thread (dist/publisher-worker.js) moves events to central.
    await eventually(
      'central to apply the sale',
      async () => (await chain.db.query('select last_seq from stores where store_id = $1', ['b1'])).rows[0],
      (row) => Number(row?.last_seq) === seq,
    );
    const { rows } = await chain.db.query('select sku, on_hand from stock where store_id = $1 order by sku', ['b1']);
    expect(rows).toEqual([
      { sku: 'BLT-1', on_hand: 17 },
      { sku: 'BLT-2', on_hand: 19 },
    ]);

    const page = await fetch(`${chain.central.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/dashboard/dashboard.js');
    const script = await fetch(`${chain.central.url}/dashboard/dashboard.js`);
    expect(script.status).toBe(200);
    expect((await script.text()).length).toBeGreaterThan(100);

    await store.stop();
    const { stdout } = await run(process.execPath, [...nodeArgsFor(RECOVER), '--dry-run'], {
      env: {
        ...process.env,
        STORE_ID: 'b1',
        DATA_DIR: chain.storeDir('b1'),
        CENTRAL_URL: chain.central.url,
        HQ_TOKEN: chain.tokens.viewer,
      },
    });
    const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    expect(report).toMatchObject({ storeId: 'b1', outcome: 'up_to_date', toSeq: seq, centralSeq: seq });
  });
});
