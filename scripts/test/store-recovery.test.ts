import { execFile } from 'node:child_process';
import { copyFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GENESIS_HASH, ledgerEntryToEvent, verifyChain } from '@stocksync/shared';
import type { ServiceProcess } from '@stocksync/shared/testing';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireInstanceLock } from '../../store-node/src/db/instance-lock';
import {
  type CentralHistoryClient,
  CentralRequestError,
  createCentralHistoryClient,
} from '../../store-node/src/recovery/central-history-client';
import { recoverStore } from '../../store-node/src/recovery/recover-store';
import { httpCall, pollUntil, type ServiceClient } from '../src/chain/http-client';
import { type ProcessChain, startProcessChain } from './helpers/process-chain';

const ROOT = new URL('../../', import.meta.url).pathname;
const run = promisify(execFile);
const LEDGER_ROWS = `SELECT seq, event_id AS eventId, type, sku, delta, reserved_delta AS reservedDelta, on_hand AS onHand,
  reserved, version, occurred_at AS occurredAt, ref, reason, prev_hash AS prevHash, hash FROM ledger ORDER BY seq`;

type StockItem = { sku: string; onHand: number; reserved: number; version: number };
type Reservation = { id: string; sku: string; qty: number; status: string; source?: string; expiresAt: string };
type Transfer = { id: string; status: string };
type LedgerRow = Parameters<typeof ledgerEntryToEvent>[1];

describe('a store restored from an old backup catches up from central before it sells again', () => {
  let chain: ProcessChain;
  let central: ServiceProcess;
  let s1: ServiceProcess;
  let s1Dir = '';
  let s1File = '';
  const hq = (): ServiceClient => ({ url: central.url, token: chain.tokens.admin });
  const at = (store: ServiceProcess): ServiceClient => ({ url: store.url, token: chain.tokens.store });

  const recover = async (...args: string[]) => {
    const env = {
      ...process.env,
      STORE_ID: 's1',
      DATA_DIR: s1Dir,
      CENTRAL_URL: central.url,
      HQ_TOKEN: chain.tokens.viewer,
    };
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        ['--import', 'tsx', 'store-node/src/recover.ts', ...args],
        {
          cwd: ROOT,
          env,
        },
      );
      return { code: 0, report: JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}'), stderr };
    } catch (error) {
      const failed = error as { code: number; stderr: string };
      return { code: failed.code, report: null, stderr: failed.stderr };
    }
  };
  /** The store's SQLite as the recovery left it, read with the node stopped. */
  const readStore = <T>(read: (db: Database.Database) => T): T => {
    const db = new Database(s1File, { readonly: true });
    try {
      return read(db);
    } finally {
      db.close();
    }
  };
  const localHead = () => readStore((db) => db.prepare('SELECT max(seq) AS seq FROM ledger').get() as { seq: number });
  const storeSeq = async () => (await httpCall<{ lastSeq: number }>(at(s1), 'GET', '/sync')).body.lastSeq;
  const caughtUpFor = async (store: ServiceProcess) => {
    const seq = (await httpCall<{ lastSeq: number }>(at(store), 'GET', '/sync')).body.lastSeq;
    const applied = async () =>
      (await httpCall<{ lastSeq?: number }>(hq(), 'GET', `/stores/${store.name}`)).body?.lastSeq ?? 0;
    await pollUntil(applied, (c) => c === seq, { what: `central applies ${store.name} up to ${seq}` });
    return seq;
  };
  const caughtUp = () => caughtUpFor(s1);
  const requestTransfer = async (sku: string, fromStoreId: string, toStoreId: string, qty: number) => {
    const res = await httpCall<Transfer>(hq(), 'POST', '/transfers', { sku, fromStoreId, toStoreId, qty });
    expect(res.status).toBe(201);
    return res.body;
  };
  const s1Sees = (transferId: string, status: string) =>
    pollUntil(
      () => httpCall<Transfer>(at(s1), 'GET', `/transfers/${transferId}`),
      (r) => r.body?.status === status,
      { what: `s1 sees transfer ${transferId} ${status}` },
    );
  const posHold = (sku: string, qty: number, ttlSeconds: number) =>
    httpCall<Reservation & { code?: string }>(at(s1), 'POST', '/reservations', { sku, qty, ttlSeconds });
  const stockOf = async (store: ServiceProcess) =>
    (await httpCall<{ items: StockItem[] }>(at(store), 'GET', '/stock?limit=100')).body.items.map(
      ({ sku, onHand, reserved, version }) => ({ sku, onHand, reserved, version }),
    );
  const restoreBackup = async (backup: string) => {
    await s1.stop();
    for (const suffix of ['-wal', '-shm']) rmSync(`${s1File}${suffix}`, { force: true });
    copyFileSync(backup, s1File);
  };
  const takeBackup = (name: string) => {
    const file = join(chain.dir, name);
    const db = new Database(s1File, { readonly: true });
    db.exec(`VACUUM INTO '${file}'`); // a hot backup, as docs/operations.md takes it
    db.close();
    return file;
  };

  beforeAll(async () => {
    chain = await startProcessChain({ name: 'recovery' });
    central = chain.central;
    s1Dir = chain.storeDir('s1');
    s1File = join(s1Dir, 'store-s1.sqlite');
    // The catalog comes from central, as in production: a store rebuilt from nothing finds every product there.
    for (const sku of ['R-A', 'R-B']) {
      expect((await httpCall(hq(), 'POST', '/products', { sku, name: sku, price: '2.00' })).status).toBe(201);
    }
    const stores: ServiceProcess[] = [];
    for (const storeId of ['s1', 's2']) {
      const store = await chain.startStore(storeId);
      await pollUntil(
        () => httpCall(at(store), 'GET', '/stock/R-B'),
        (r) => r.status === 200,
        { what: `${storeId} has the catalog` },
      );
      const opening = await httpCall(at(store), 'POST', '/receipts', {
        lines: [
          { sku: 'R-A', qty: 40 },
          { sku: 'R-B', qty: 40 },
        ],
      });
      expect(opening.status).toBe(201);
      stores.push(store);
    }
    s1 = stores[0] as ServiceProcess;
    // HQ can request transfers only between stores whose stock central has seen.
    for (const store of stores) await caughtUpFor(store);
  });

  afterAll(async () => {
    await chain?.stop();
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

  it('refuses, changing nothing, when the restored store already sold offline over history central holds (a fork)', async () => {
    const backup = takeBackup('s1-backup-2.sqlite');
    const backupSeq = (await httpCall<{ lastSeq: number }>(at(s1), 'GET', '/sync')).body.lastSeq;
    expect((await httpCall(at(s1), 'POST', '/sales', { lines: [{ sku: 'R-A', qty: 1 }] })).status).toBe(201);
    await caughtUp();
    await restoreBackup(backup);
    // Started on the backup without a recovery and without NATS (nothing can warn it): its next sale
    // reuses a seq central holds.
    const offline = await chain.startStore('s1', { NATS_URL: 'nats://127.0.0.1:9', STARTUP_CENTRAL_CHECK_MS: '200' });
    expect((await httpCall(at(offline), 'POST', '/sales', { lines: [{ sku: 'R-B', qty: 1 }] })).status).toBe(201);
    await offline.stop();
    const before = readStore((db) => db.prepare('SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1').get());

    const refused = await recover();
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`part after seq ${backupSeq}: the store has 1 event(s) central does not`);
    expect(readStore((db) => db.prepare('SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1').get())).toEqual(
      before,
    );
  });
  it('--reenter-fork keeps both histories: the forked file archived, central history replayed, the fork sealed after it', async () => {
    // The forked node comes online: central sees its events compete with the ones it holds and stops
    // applying the store at the first of them.
    const centralSeq = (await httpCall<{ lastSeq: number }>(hq(), 'GET', '/stores/s1')).body.lastSeq;
    const forked = await chain.startStore('s1');
    const hold = await httpCall<Reservation>(at(forked), 'POST', '/reservations', {
      sku: 'R-A',
      qty: 1,
      ttlSeconds: 900,
    });
    expect(hold.status).toBe(201);
    expect((await httpCall(at(forked), 'POST', '/sales', { lines: [{ sku: 'R-B', qty: 2 }] })).status).toBe(201);
    const forkHead = (await httpCall<{ lastSeq: number }>(at(forked), 'GET', '/sync')).body.lastSeq;
    const breaks = () =>
      httpCall<{ items: Array<{ id: number; storeId: string; resolvedAt: string | null }> }>(
        hq(),
        'GET',
        '/sync/breaks?limit=100',
      );
    await pollUntil(breaks, (r) => r.body.items.some((b) => b.storeId === 's1' && b.resolvedAt === null), {
      what: "central records the fork's competing events",
    });
    const expectedStock = (await stockOf(forked)).map(({ sku, onHand, reserved }) => ({ sku, onHand, reserved }));
    await forked.stop();
    const forkedRows = readStore((db) => db.prepare(LEDGER_ROWS).all() as LedgerRow[]);

    const dry = await recover('--reenter-fork', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.report).toMatchObject({ outcome: 'would_reenter_fork', fork: { archivedFile: null } });
    expect(readStore((db) => db.prepare(LEDGER_ROWS).all())).toEqual(forkedRows);

    const done = await recover('--reenter-fork');
    expect(done.code, done.stderr).toBe(0);
    const forkEvents = done.report.fork.forkEvents as number;
    expect(forkEvents).toBe(forkHead - done.report.fork.commonSeq);
    expect(done.report).toMatchObject({ outcome: 'fork_reentered', toSeq: centralSeq + forkEvents });
    // The forked file is kept as it was, for the audit.
    const archived = new Database(done.report.fork.archivedFile, { readonly: true });
    expect(archived.prepare(LEDGER_ROWS).all()).toEqual(forkedRows);
    archived.close();

    // A power cut between the swap's two renames leaves no store file, the rebuilt one beside it: the
    // next run finishes the swap (and finds the store ahead of central, as it is until it publishes).
    renameSync(s1File, `${s1File}.reentered`);
    const finished = await recover();
    expect([finished.code, finished.report?.outcome]).toEqual([0, 'store_ahead']);

    const rows = readStore((db) => db.prepare(LEDGER_ROWS).all() as LedgerRow[]);
    const events = rows.map((row) => ledgerEntryToEvent('s1', row));
    expect(verifyChain(events, GENESIS_HASH, 0)).toBeNull();
    const theirs = await httpCall<{ items: Array<{ hash: string }> }>(
      { url: central.url, token: chain.tokens.viewer },
      'GET',
      `/stores/s1/events?afterSeq=${centralSeq - 1}&limit=1`,
    );
    expect(events[centralSeq - 1]?.hash).toBe(theirs.body.items[0]?.hash); // central's history, unchanged
    const forkTail = forkedRows.slice(done.report.fork.commonSeq).map((r) => [r.type, r.sku, r.delta, r.ref]);
    expect(rows.slice(centralSeq).map((r) => [r.type, r.sku, r.delta, r.ref])).toEqual(forkTail);

    // The node starts on the joined history; central applies the re-entered events after its head.
    await s1.start();
    expect((await httpCall<Reservation>(at(s1), 'GET', `/reservations/${hold.body.id}`)).body).toMatchObject({
      status: 'held',
      expiresAt: hold.body.expiresAt,
    });
    const seq = await caughtUp();
    expect(seq).toBe(centralSeq + forkEvents);
    const central1 = await httpCall<{ items: StockItem[] }>(
      { url: central.url, token: chain.tokens.viewer },
      'GET',
      '/stores/s1/inventory?limit=100',
    );
    const local = await stockOf(s1);
    expect(
      central1.body.items.map(({ sku, onHand, reserved, version }) => ({ sku, onHand, reserved, version })),
    ).toEqual(local);
    // Central's history after the backup (R-A sold) and the fork's (R-B, the hold) both count.
    const net = (sku: string) => local.find((i) => i.sku === sku);
    const forkOnly = (sku: string) => expectedStock.find((i) => i.sku === sku);
    expect(net('R-B')?.onHand).toBe(forkOnly('R-B')?.onHand);
    expect(net('R-A')?.onHand).toBe((forkOnly('R-A')?.onHand ?? 0) - 1);
    expect(net('R-A')?.reserved).toBe(forkOnly('R-A')?.reserved);
    for (const b of (await breaks()).body.items.filter((b) => b.storeId === 's1' && b.resolvedAt === null)) {
      expect((await httpCall(hq(), 'POST', `/sync/breaks/${b.id}/resolve`)).status).toBe(200);
    }
    expect((await httpCall(at(s1), 'POST', '/sales', { lines: [{ sku: 'R-A', qty: 1 }] })).status).toBe(201);
    expect(await caughtUp()).toBe(seq + 1);
    expect((await httpCall<{ chainStatus: string; openBreaks: number }>(hq(), 'GET', '/stores/s1')).body).toMatchObject(
      { chainStatus: 'ok', openBreaks: 0 },
    );
  });
});
