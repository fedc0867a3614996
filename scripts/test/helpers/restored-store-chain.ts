import { execFile } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ledgerEntryToEvent } from '@stocksync/shared';
import { nodeArgsFor, type ServiceProcess } from '@stocksync/shared/testing';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect } from 'vitest';
import { httpCall, pollUntil, type ServiceClient } from '../../src/chain/http-client';
import { type ProcessChain, startProcessChain } from './process-chain';

const ROOT = new URL('../../../', import.meta.url).pathname;
const RECOVER = `${ROOT}store-node/src/recover.ts`;
const run = promisify(execFile);
export const LEDGER_ROWS = `SELECT seq, event_id AS eventId, type, sku, delta, reserved_delta AS reservedDelta, on_hand AS onHand,
  reserved, version, occurred_at AS occurredAt, ref, reason, prev_hash AS prevHash, hash FROM ledger ORDER BY seq`;

export type StockItem = { sku: string; onHand: number; reserved: number; version: number };
export type Reservation = { id: string; sku: string; qty: number; status: string; source?: string; expiresAt: string };
export type Transfer = { id: string; status: string };
export type LedgerRow = Parameters<typeof ledgerEntryToEvent>[1];

/**
 * A chain (central, stores s1 and s2 with the catalog from central and opening stock of R-A and R-B)
 * for the store recovery tests, and what they do to s1: back it up, restore it, run `store:recover`,
 * read its file. Call it inside a describe: it registers the beforeAll/afterAll that start and stop it.
 */
export function restoredStoreChain(name: string) {
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
      const { stdout, stderr } = await run(process.execPath, [...nodeArgsFor(RECOVER), ...args], { cwd: ROOT, env });
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
    chain = await startProcessChain({ name });
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

  return {
    /** The chain's processes and s1's files, once beforeAll has run. */
    state: () => ({ chain, central, s1, s1Dir, s1File }),
    hq,
    at,
    recover,
    readStore,
    localHead,
    storeSeq,
    caughtUpFor,
    caughtUp,
    requestTransfer,
    s1Sees,
    posHold,
    stockOf,
    restoreBackup,
    takeBackup,
  };
}
