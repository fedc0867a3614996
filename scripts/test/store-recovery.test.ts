import { join } from 'node:path';
import { GENESIS_HASH, ledgerEntryToEvent, verifyChain } from '@stocksync/shared';
import type { ServiceProcess } from '@stocksync/shared/testing';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { acquireInstanceLock } from '../../store-node/src/db/instance-lock';
import {
  type CentralHistoryClient,
  CentralRequestError,
  createCentralHistoryClient,
} from '../../store-node/src/recovery/central-history-client';
import { recoverStore } from '../../store-node/src/recovery/recover-store';
import { httpCall, pollUntil } from '../src/chain/http-client';
import type { ProcessChain } from './helpers/process-chain';
import {
  LEDGER_ROWS,
  type LedgerRow,
  type Reservation,
  restoredStoreChain,
  type StockItem,
} from './helpers/restored-store-chain';

describe('a store restored from an old backup catches up from central before it sells again', () => {
  const fx = restoredStoreChain('recovery');
  const {
    hq,
    at,
    recover,
    readStore,
    localHead,
    storeSeq,
    caughtUp,
    requestTransfer,
    s1Sees,
    posHold,
    stockOf,
    restoreBackup,
    takeBackup,
  } = fx;
  let chain: ProcessChain;
  let central: ServiceProcess;
  let s1: ServiceProcess;
  let s1Dir = '';
  beforeAll(() => {
    ({ chain, central, s1, s1Dir } = fx.state());
  });

  it('replays what the backup lacks (stock, chain, holds, transfers, a new product); the node then sells on the same chain', async () => {
    // Before the backup: a sale, a POS hold confirmed only after it, a transfer the store will ship after it.
    expect((await httpCall(at(s1), 'POST', '/sales', { lines: [{ sku: 'R-A', qty: 1 }] })).status).toBe(201);
    const early = await posHold('R-B', 2, 3600);
    expect(early.status).toBe(201);
    const shipLater = await requestTransfer('R-A', 's1', 's2', 3);
    await s1Sees(shipLater.id, 'requested');
    const backupSeq = await caughtUp();
    const backup = takeBackup('s1-backup.sqlite');

    // After the backup: everything the restored store must learn from central.
    expect((await httpCall(at(s1), 'POST', '/sales', { lines: [{ sku: 'R-A', qty: 2 }] })).status).toBe(201);
    expect((await httpCall(at(s1), 'POST', `/reservations/${early.body.id}/confirm`)).status).toBe(200);
    const lateHold = await posHold('R-A', 1, 600);
    expect(lateHold.status).toBe(201);
    const online = await httpCall<Reservation>(hq(), 'POST', '/reservations', {
      sku: 'R-B',
      qty: 1,
      storeId: 's1',
      ttlSeconds: 7200,
      orderRef: 'web-1',
    });
    expect(online.status).toBe(201);
    expect((await httpCall(at(s1), 'POST', `/transfers/${shipLater.id}/ship`)).status).toBe(200);
    const shipNext = await requestTransfer('R-B', 's1', 's2', 1);
    await s1Sees(shipNext.id, 'requested');
    // Requested and cancelled after the backup: no event, in no open list, yet the store must know it.
    const cancelled = await requestTransfer('R-A', 's2', 's1', 1);
    const cancel = await httpCall(hq(), 'POST', `/transfers/${cancelled.id}/cancel`);
    expect([cancel.status, cancel.body]).toEqual([200, expect.anything()]);
    await s1Sees(cancelled.id, 'cancelled');
    const created = await httpCall(hq(), 'POST', '/products', { sku: 'R-NEW', name: 'New', price: '5.00' });
    expect(created.status).toBe(201);
    await pollUntil(
      () => httpCall(at(s1), 'GET', '/stock/R-NEW'),
      (r) => r.status === 200,
    );
    expect((await httpCall(at(s1), 'POST', '/receipts', { lines: [{ sku: 'R-NEW', qty: 7 }] })).status).toBe(201);
    const lastSeq = await caughtUp();
    const truth = await stockOf(s1);

    await restoreBackup(backup);
    expect(localHead().seq).toBe(backupSeq);

    // Refused while another process holds the store (a running node), and a dry run writes nothing.
    const lock = acquireInstanceLock(s1Dir, 's1');
    const locked = await recover();
    lock.release();
    expect([locked.code, locked.stderr]).toEqual([2, expect.stringContaining('already runs')]);
    const dry = await recover('--dry-run');
    expect([dry.code, dry.report.outcome, dry.report.events]).toEqual([0, 'would_replay', lastSeq - backupSeq]);
    expect(localHead().seq).toBe(backupSeq);

    const done = await recover();
    expect(done.code).toBe(0);
    expect(done.report).toMatchObject({
      outcome: 'replayed',
      fromSeq: backupSeq,
      toSeq: lastSeq,
      events: lastSeq - backupSeq,
      productsAdded: 1,
      holds: { restored: 2, fromCentral: 1, fromPos: 1, closed: 1 },
    });
    expect(done.stderr).toContain(`POS hold ${lateHold.body.id}`);

    // The SQLite file: one unbroken chain from genesis, every event central's, cursor past them all.
    const { events, cursor, marker, holds, transfers } = readStore((db) => ({
      events: (db.prepare(LEDGER_ROWS).all() as LedgerRow[]).map((row) => ledgerEntryToEvent('s1', row)),
      cursor: db.prepare("SELECT value FROM sync_state WHERE key = 'last_published_seq'").get() as { value: number },
      marker: db.prepare("SELECT value FROM sync_state WHERE key = 'recovery_from_seq'").get(),
      holds: db
        .prepare('SELECT id, status, source, order_ref AS orderRef, expires_at_ms AS expiresAtMs FROM reservations')
        .all(),
      transfers: db.prepare('SELECT id, status FROM transfers ORDER BY id').all(),
    }));
    expect(verifyChain(events, GENESIS_HASH, 0)).toBeNull();
    expect(events).toHaveLength(lastSeq);
    const centralEvents = await httpCall<{ items: typeof events }>(
      hq(),
      'GET',
      `/stores/s1/events?afterSeq=${backupSeq}&limit=1000`,
    );
    expect(events.slice(backupSeq)).toEqual(centralEvents.body.items);
    expect(cursor.value).toBe(lastSeq);
    expect(marker).toBeUndefined();
    const heldAt = Date.parse(events.find((e) => e.ref === lateHold.body.id)?.occurredAt ?? '');
    expect(holds).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: early.body.id, status: 'confirmed' }),
        { id: lateHold.body.id, status: 'held', source: 'pos', orderRef: null, expiresAtMs: heldAt + 24 * 3_600_000 },
        {
          id: online.body.id,
          status: 'held',
          source: 'central',
          orderRef: 'web-1',
          expiresAtMs: Date.parse(online.body.expiresAt),
        },
      ]),
    );
    expect(transfers).toEqual(
      [
        { id: shipLater.id, status: 'in_transit' },
        { id: shipNext.id, status: 'requested' },
        { id: cancelled.id, status: 'cancelled' },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );

    // Running it again finds nothing to do.
    const again = await recover();
    expect([again.code, again.report.outcome, again.report.events]).toEqual([0, 'up_to_date', 0]);

    // The node starts on the recovered file: same stock as before the loss, and what it writes next
    // extends the chain central holds (no break), including work that only central had told it about.
    await s1.start();
    expect(await stockOf(s1)).toEqual(truth);
    expect((await httpCall(at(s1), 'POST', `/transfers/${shipNext.id}/ship`)).status).toBe(200);
    expect((await httpCall(hq(), 'POST', `/reservations/${online.body.id}/confirm`)).status).toBe(200);
    expect((await httpCall(at(s1), 'POST', '/sales', { lines: [{ sku: 'R-NEW', qty: 1 }] })).status).toBe(201);
    expect(await caughtUp()).toBe(lastSeq + 3);
    const store = (await httpCall<{ chainStatus: string; openBreaks: number }>(hq(), 'GET', '/stores/s1')).body;
    expect([store.chainStatus, store.openBreaks]).toEqual(['ok', 0]);
  });

  it("an interrupted recovery continues from the file's head and still rebuilds the first run's holds", async () => {
    const backup = takeBackup('s1-backup-resume.sqlite');
    const backupSeq = await storeSeq();
    const hold = await posHold('R-A', 1, 600);
    expect(hold.status).toBe(201);
    for (let i = 0; i < 3; i++) {
      expect((await httpCall(at(s1), 'POST', '/sales', { lines: [{ sku: 'R-B', qty: 1 }] })).status).toBe(201);
    }
    const lastSeq = await caughtUp();
    await restoreBackup(backup);

    // Started on the backup by mistake, online: central's answer to its first heartbeat (awaited before
    // the port opens) shows the file is behind, and every stock change is refused before one can fork.
    await s1.start();
    const refusedSale = await httpCall<{ code: string }>(at(s1), 'POST', '/sales', { lines: [{ sku: 'R-A', qty: 1 }] });
    expect([refusedSale.status, refusedSale.body.code]).toEqual([503, 'STORE_BEHIND_CENTRAL']);
    const refusedHold = await posHold('R-A', 1, 60);
    expect([refusedHold.status, refusedHold.body.code]).toEqual([503, 'STORE_BEHIND_CENTRAL']);
    const sync = await httpCall<{ behindCentral: unknown; lastSeq: number }>(at(s1), 'GET', '/sync');
    expect(sync.body).toMatchObject({
      lastSeq: backupSeq,
      behindCentral: { centralSeq: lastSeq, localSeq: backupSeq },
    });
    expect(
      (await fetch(`${s1.url}/metrics`).then((r) => r.text())).match(/^store_behind_central{[^}]*} (\d)/m)?.[1],
    ).toBe('1');
    // HQ sees it too, from the store's next heartbeat (sent as soon as the store found out).
    const centralView = () => httpCall<{ behindCentral: boolean; openBreaks: number }>(hq(), 'GET', '/stores/s1');
    await pollUntil(centralView, (r) => r.body.behindCentral, { what: 'central shows s1 behind', timeoutMs: 10_000 });
    await s1.stop();
    expect(localHead().seq).toBe(backupSeq);

    const real = createCentralHistoryClient({ baseUrl: central.url, token: chain.tokens.viewer, storeId: 's1' });
    let pages = 0;
    const cutAfterFirstPage: CentralHistoryClient = {
      ...real,
      eventsAfter: async (afterSeq, limit) => {
        if (++pages === 2) throw new CentralRequestError('link cut');
        return real.eventsAfter(afterSeq, limit);
      },
    };
    const options = { dataDir: s1Dir, storeId: 's1', posHoldHours: 24, pageSize: 2 };
    await expect(recoverStore({ ...options, central: cutAfterFirstPage })).rejects.toThrow('link cut');
    // The first page (the hold and a sale) is in, whole; the hold view is not rebuilt yet.
    expect(localHead().seq).toBe(backupSeq + 2);
    const holdRow = () =>
      readStore((db) => db.prepare('SELECT status, source FROM reservations WHERE id = ?').get(hold.body.id));
    expect(holdRow()).toBeUndefined();

    const resumed = await recoverStore({ ...options, central: real });
    expect(resumed).toMatchObject({
      outcome: 'replayed',
      fromSeq: backupSeq,
      toSeq: lastSeq,
      events: lastSeq - backupSeq - 2,
    });
    expect(resumed.holds).toMatchObject({ restored: 1, fromPos: 1 });
    expect(holdRow()).toEqual({ status: 'held', source: 'pos' });

    await s1.start();
    expect((await httpCall(at(s1), 'POST', '/sales', { lines: [{ sku: 'R-B', qty: 1 }] })).status).toBe(201);
    expect(await caughtUp()).toBe(lastSeq + 1);
    expect((await centralView()).body).toMatchObject({ openBreaks: 0, behindCentral: false });
  });

  it('a store whose disk died with no backup is rebuilt from central alone: every event, product and stock row', async () => {
    const seq = await caughtUp();
    const emptyDir = join(chain.dir, 's1-new-disk');
    const report = await recoverStore({
      dataDir: emptyDir,
      storeId: 's1',
      central: createCentralHistoryClient({ baseUrl: central.url, token: chain.tokens.viewer, storeId: 's1' }),
      posHoldHours: 24,
    });
    expect(report).toMatchObject({ outcome: 'replayed', fromSeq: 0, toSeq: seq, events: seq, productsAdded: 3 });
    const rebuilt = new Database(join(emptyDir, 'store-s1.sqlite'), { readonly: true });
    try {
      const events = (rebuilt.prepare(LEDGER_ROWS).all() as LedgerRow[]).map((row) => ledgerEntryToEvent('s1', row));
      expect(verifyChain(events, GENESIS_HASH, 0)).toBeNull();
      expect(events).toHaveLength(seq);
      const stock = rebuilt
        .prepare('SELECT sku, on_hand AS onHand, reserved, version FROM stock ORDER BY sku')
        .all() as StockItem[];
      expect(stock).toEqual(await stockOf(s1));
    } finally {
      rebuilt.close();
    }
  });
});
