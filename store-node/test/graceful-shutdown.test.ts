import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seedStock } from './support/factories';
import { expectStoreInvariants } from './support/invariants';
import { startStoreProcess } from './support/store-process';
import { createTestStore, storeEnv, TOKEN } from './support/test-store';

describe('SIGTERM', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stocksync-term-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('answers the requests in flight, then exits 0 with every answered sale on disk', async () => {
    const seeding = await createTestStore({ dataDir });
    await seedStock(seeding.app, [{ sku: 'TERM-1', onHand: 100_000 }]);
    await seeding.close();

    const proc = await startStoreProcess(storeEnv({ DATA_DIR: dataDir, LOG_LEVEL: 'error' }));
    const sale = () =>
      fetch(`${proc.url}/sales`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ lines: [{ sku: 'TERM-1', qty: 1 }] }),
      }).then(
        (r) => r.status,
        () => 0,
      );
    const statuses: number[] = [];
    let stop = false;
    const terminal = async () => {
      while (!stop) {
        const status = await sale();
        statuses.push(status);
        if (status !== 201) return;
      }
    };
    const terminals = Array.from({ length: 20 }, terminal);
    await new Promise((r) => setTimeout(r, 300));
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    stop = true;
    await Promise.all(terminals);
    const answered = statuses.filter((s) => s === 201).length;
    expect(answered).toBeGreaterThan(0);
    // Requests that reached the server before the signal are answered; later ones are refused, never half-done.
    expect(statuses.every((s) => s === 201 || s === 503 || s === 0)).toBe(true);

    const reopened = await createTestStore({ dataDir });
    try {
      const sold = reopened.app.sqlite.prepare(`select count(*) from ledger where type = 'stock.sold'`).pluck().get();
      expect(sold).toBeGreaterThanOrEqual(answered);
      expectStoreInvariants(reopened.app.sqlite);
    } finally {
      await reopened.close();
    }
  });
});
