import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { ErrorCode } from '@stocksync/shared';
import { eventually, publishProduct, TestNatsServer } from '@stocksync/shared/testing';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { seedStock } from './support/factories';
import { expectStoreInvariants } from './support/invariants';
import { type SmallDiskStore, startStoreOnSmallDisk } from './support/small-disk';
import { createTestStore, storeEnv, TOKEN } from './support/test-store';

const SKU = 'DISK-A';
const OPENING = 100_000;

const post = (store: SmallDiskStore, path: string, key: string, body: unknown) =>
  fetch(`${store.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
  });
const get = async (store: SmallDiskStore, path: string) =>
  (await fetch(`${store.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json() as Promise<
    Record<string, unknown>
  >;
const metric = async (store: SmallDiskStore, name: string) => {
  const text = await (await fetch(`${store.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
};
describe('a store node whose disk fills up', () => {
  const seedDir = mkdtempSync(join(tmpdir(), 'stocksync-disk-seed-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'stocksync-disk-'));
  let nats: TestNatsServer | undefined;
  let store: SmallDiskStore | undefined;
  afterAll(async () => {
    store?.dispose();
    await nats?.stop();
    rmSync(seedDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses stock changes with 507 STORAGE_FULL, changing nothing, stays up, and sells again once space is freed', async () => {
    const seeding = await createTestStore({ dataDir: seedDir });
    await seedStock(seeding.app, [{ sku: SKU, onHand: OPENING }]);
    await seeding.close();
    const seeded = readdirSync(seedDir).reduce((n, f) => n + statSync(join(seedDir, f)).size, 0);
    nats = await TestNatsServer.start();
    store = await startStoreOnSmallDisk({
      env: storeEnv({
        SYNC_ENABLED: 'true',
        NATS_URL: nats.url,
        STARTUP_CENTRAL_CHECK_MS: '0',
        RESERVATION_SWEEP_MS: '100',
        LOG_LEVEL: 'warn',
      }),
      seedDir,
      dataDir,
      sizeBytes: seeded + 3 * 1024 * 1024,
      fillerBytes: 2 * 1024 * 1024,
    });
    expect(await get(store, '/health')).toMatchObject({ status: 'ok', storage: { full: false } });

    const sold: string[] = [];
    let refusedKey: string | undefined;
    let refused: Record<string, unknown> | undefined;
    // Sell until the disk is full: SQLite fails with SQLITE_FULL on its own.
    for (let i = 0; i < 20_000 && !refused; i++) {
      const res = await post(store, '/sales', `sale-${i}`, { lines: [{ sku: SKU, qty: 1 }] });
      if (res.status === 201) sold.push(((await res.json()) as { id: string }).id);
      else {
        refusedKey = `sale-${i}`;
        refused = { status: res.status, ...((await res.json()) as object) };
      }
    }
    expect(refused).toMatchObject({ status: 507, statusCode: 507, code: ErrorCode.STORAGE_FULL });
    expect(sold.length).toBeGreaterThan(0);

    // Now make "full" certain. Once a checkpoint has copied the whole WAL back, SQLite restarts the
    // WAL in place and a small write fits in blocks the file already has (seen once under load: HQ's
    // product got in while sales still failed). So, with room again: let the publisher mark what it
    // sent, take a POS hold, copy the WAL back and truncate it, then take every byte. An empty WAL must
    // grow for any write, so from here every write fails until space is freed.
    store.free();
    // A hold that falls due while the disk is full: its expiry must happen once there is room.
    const hold = await post(store, '/reservations', 'hold-1', { sku: SKU, qty: 3, ttlSeconds: 5 });
    expect(hold.status).toBe(201);
    const { id: holdId, expiresAt } = (await hold.json()) as { id: string; expiresAt: string };
    await eventually(
      'the outbox to drain',
      () => get(store!, '/sync'),
      (s) => s.pending === 0 && s.lastPublishedSeq === s.lastSeq,
    );
    // The publisher marks rows sent in a later group commit: if that lands between the truncation and
    // the fill, the WAL is not empty and we go again.
    for (let attempt = 1; ; attempt++) {
      expect(store.truncateWal('store-s1.sqlite')).toEqual({ busy: 0, log: 0, checkpointed: 0 });
      store.fill();
      if (statSync(store.pathOf('store-s1.sqlite-wal')).size === 0) break;
      expect(attempt).toBeLessThan(10);
      store.free();
      await new Promise((r) => setTimeout(r, 100));
    }

    const again = await post(store, '/sales', refusedKey!, { lines: [{ sku: SKU, qty: 1 }] });
    expect(again.status).toBe(507);
    const full = await get(store, '/health');
    expect(full).toMatchObject({ status: 'degraded', storage: { full: true } });
    expect((full.storage as { freeBytes: number }).freeBytes).toBeLessThan(64 * 1024);
    expect(await metric(store, 'store_storage_full')).toBe(1);
    const before = await get(store, `/stock/${SKU}`);
    const other = await post(store, '/receipts', 'receipt-1', { lines: [{ sku: SKU, qty: 5 }] });
    expect(other.status).toBe(507);
    expect(await get(store, `/stock/${SKU}`)).toEqual(before);
    expect(before).toMatchObject({ onHand: OPENING - sold.length, reserved: 3 });
    // HQ adds a product meanwhile: the store cannot write it now, and must not skip it for good.
    const nc = await connect({ servers: nats.url });
    const added = await publishProduct(nc, '', 'DISK-NEW', { name: 'Added while the disk was full' });
    await nc.close();
    // The hold falls due while the disk is full: the sweeper (every 100 ms) cannot record its expiry
    // and must ride that out.
    expect(await get(store, `/reservations/${holdId}`)).toMatchObject({ status: 'held' });
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(expiresAt) - Date.now()) + 1_000));
    expect(store.exitCode()).toBeNull();
    expect(await get(store, `/reservations/${holdId}`)).toMatchObject({ status: 'held' });
    expect((await get(store, `/products/${added.sku}`)).code).toBe(ErrorCode.NOT_FOUND);
    // The store retries a write by itself only once the file system has room: the flag does not flap.
    expect(await get(store, '/health')).toMatchObject({ status: 'degraded', storage: { full: true } });

    store.free();
    const retried = await post(store, '/sales', refusedKey!, { lines: [{ sku: SKU, qty: 1 }] });
    expect(retried.status).toBe(201);
    sold.push(((await retried.json()) as { id: string }).id);
    const replay = await post(store, '/sales', refusedKey!, { lines: [{ sku: SKU, qty: 1 }] });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await get(store, '/health')).toMatchObject({ status: 'ok', storage: { full: false } });
    expect(await metric(store, 'store_storage_full')).toBe(0);
    await eventually(
      'the hold to expire',
      () => get(store!, `/reservations/${holdId}`),
      (r) => r.status === 'expired',
    );
    await eventually(
      'the product added while the disk was full',
      () => get(store!, `/products/${added.sku}`),
      (p) => p.name === added.name,
    );
    // Everything sealed while the disk filled and after reaches JetStream, the publish cursor included.
    await eventually(
      'the outbox to drain',
      () => get(store!, '/sync'),
      (s) => s.pending === 0 && s.lastPublishedSeq === s.lastSeq,
    );

    expect(await store.stop()).toBe(0);
    const copy = mkdtempSync(join(tmpdir(), 'stocksync-disk-copy-'));
    store.copyOut(copy);
    const sqlite = new Database(join(copy, 'store-s1.sqlite'), { readonly: true, fileMustExist: true });
    try {
      expectStoreInvariants(sqlite);
      const sales = sqlite.prepare(`select ref from ledger where type = 'stock.sold' order by seq`).pluck().all();
      expect(sales).toEqual(sold); // each answered sale once, nothing refused recorded
      expect(sqlite.prepare(`select count(*) from ledger where type = 'stock.received'`).pluck().get()).toBe(1);
    } finally {
      sqlite.close();
      rmSync(copy, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('a store node whose file system cannot say how much is free', () => {
  it('serves no free-space reading instead of 0 (which would read as a full disk)', async () => {
    const store = await createTestStore();
    const movedDir = `${store.dataDir}-moved`;
    const freeSeries = async () =>
      (await store.app.inject({ method: 'GET', url: '/metrics' })).body
        .split('\n')
        .filter((l) => l.startsWith('store_disk_free_bytes'));
    try {
      const [known] = await freeSeries();
      expect(known).toMatch(/^store_disk_free_bytes\{volume="data"[^}]*\} \d+$/);
      expect(Number(known!.split(' ')[1])).toBeGreaterThan(0);
      // statfs of the data directory fails once it is gone; the open database files go on working.
      renameSync(store.dataDir, movedDir);
      expect(await freeSeries()).toEqual([]);
      const health = (await store.app.inject({ method: 'GET', url: '/health' })).json<{ storage: unknown }>();
      expect(health.storage).toMatchObject({ freeBytes: null });
    } finally {
      if (existsSync(movedDir)) renameSync(movedDir, store.dataDir);
      await store.close();
    }
  });
});
