import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BUILT_CENTRAL_SERVER,
  BUILT_STORE_SERVER,
  CENTRAL_SERVER,
  ServiceProcess,
  STORE_SERVER,
  TestNatsServer,
} from '@stocksync/shared/testing';
import pg from 'pg';
import { http } from './http-client';

const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * One test file's chain as real processes: central on a fresh PostgreSQL database, its own nats-server
 * (which the test may kill), and store nodes started with `startStore`, each in its own directory.
 * Names (database, NATS prefix, tokens) derive from `name` plus randomness, so files never share state.
 * `stop()` stops every process and drops what it created. `built` runs the bundles in `dist/` (build first).
 */
export async function startProcessChain(opts: { name: string; centralEnv?: Record<string, string>; built?: boolean }) {
  const entries = opts.built
    ? { central: BUILT_CENTRAL_SERVER, store: BUILT_STORE_SERVER }
    : { central: CENTRAL_SERVER, store: STORE_SERVER };
  const dir = mkdtempSync(join(tmpdir(), `stocksync-${opts.name}-`));
  const database = `${opts.name}_${randomBytes(4).toString('hex')}`;
  const prefix = `${opts.name.slice(0, 2)}${randomBytes(3).toString('hex')}`;
  const tokens = {
    admin: `admin-token-${opts.name}`,
    viewer: `viewer-token-${opts.name}`,
    store: `store-token-${opts.name}`,
  };
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${database}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  const nats = await TestNatsServer.start();
  const common = { NATS_URL: nats.url, NATS_PREFIX: prefix, LOG_LEVEL: 'warn' };
  const central = await ServiceProcess.start('central', entries.central, {
    ...common,
    DATABASE_URL: url.toString(),
    DATA_DIR: join(dir, 'central'),
    HQ_ADMIN_TOKEN: tokens.admin,
    HQ_VIEWER_TOKEN: tokens.viewer,
    REDIS_KEY_PREFIX: `${prefix}:`,
    ...opts.centralEnv,
  });
  const stores: ServiceProcess[] = [];

  return {
    dir,
    prefix,
    nats,
    central,
    /** A client of central's database, for assertions on its tables. */
    db,
    databaseUrl: url.toString(),
    tokens,
    storeDir: (storeId: string) => join(dir, storeId),
    /** A JSON call to central with the admin token. */
    hq: <T>(method: string, path: string, body?: unknown) => http<T>(central.url, tokens.admin, method, path, body),
    /** HQ requests a transfer; fails the test unless central answers 201. Returns its id. */
    async requestTransfer(sku: string, fromStoreId: string, toStoreId: string, qty: number): Promise<string> {
      const res = await http<{ id: string }>(central.url, tokens.admin, 'POST', '/transfers', {
        sku,
        fromStoreId,
        toStoreId,
        qty,
      });
      if (res.status !== 201) throw new Error(`POST /transfers → ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id;
    },
    /** A JSON call to a store node with the store token. */
    at: <T>(store: { url: string }, method: string, path: string, body?: unknown) =>
      http<T>(store.url, tokens.store, method, path, body),
    async startStore(storeId: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
      const store = await ServiceProcess.start(storeId, entries.store, {
        ...common,
        STORE_ID: storeId,
        STORE_TOKEN: tokens.store,
        DATA_DIR: join(dir, storeId),
        ...env,
      });
      stores.push(store);
      return store;
    },
    async stop(): Promise<void> {
      await Promise.allSettled([...stores.map((s) => s.stop()), central.stop()]);
      await nats.stop();
      await db.end();
      await admin.query(`drop database if exists ${database} with (force)`);
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
export type ProcessChain = Awaited<ReturnType<typeof startProcessChain>>;
