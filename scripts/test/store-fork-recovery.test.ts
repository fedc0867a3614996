import { renameSync } from 'node:fs';
import { GENESIS_HASH, ledgerEntryToEvent, verifyChain } from '@stocksync/shared';
import type { ServiceProcess } from '@stocksync/shared/testing';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { httpCall, pollUntil } from '../src/chain/http-client';
import type { ProcessChain } from './helpers/process-chain';
import {
  LEDGER_ROWS,
  type LedgerRow,
  type Reservation,
  restoredStoreChain,
  type StockItem,
} from './helpers/restored-store-chain';

describe('a store that sold on an old backup (a fork) is refused, then re-entered on demand', () => {
  const fx = restoredStoreChain('forkrecovery');
  const { hq, at, recover, readStore, caughtUp, stockOf, restoreBackup, takeBackup } = fx;
  let chain: ProcessChain;
  let central: ServiceProcess;
  let s1: ServiceProcess;
  let s1File = '';
  beforeAll(() => {
    ({ chain, central, s1, s1File } = fx.state());
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
