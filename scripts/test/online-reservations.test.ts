import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CENTRAL_SERVER,
  ServiceProcess,
  STORE_SERVER,
  TestNatsServer,
  TestRedisServer,
} from '@stocksync/shared/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedStore } from '../../store-node/src/seed-store';

const ADMIN = 'admin-token-reservations';
const STORE_TOKEN = 'store-token-reservations';
const SKU = 'HOT-1';
/** For the mixed run: holds on several SKUs of one store share a batch, each SKU under its own lock. */
const MIXED = Array.from({ length: 6 }, (_, i) => `MIX-${i}`);
const UNITS = 10;
const BUYERS = 200;
const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

type StockItem = { onHand: number; reserved: number; available: number; version: number };

async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('online reservations across two central replicas (DESIGN §9: zero oversell with 200 buyers)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stocksync-reserve-'));
  const database = `reserve_${randomBytes(4).toString('hex')}`;
  const prefix = `rs${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  let db: pg.Client;
  let nats: TestNatsServer;
  let redis: TestRedisServer;
  let store: ServiceProcess;
  const centrals: ServiceProcess[] = [];

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`create database ${database}`);
    const databaseUrl = `postgres://postgres@127.0.0.1:5432/${database}`;
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    [nats, redis] = await Promise.all([TestNatsServer.start(), TestRedisServer.start()]);
    const common = { NATS_URL: nats.url, NATS_PREFIX: prefix, LOG_LEVEL: 'warn' };
    const storeDir = join(dir, 's1');
    await seedStore({
      dataDir: storeDir,
      storeId: 's1',
      products: [SKU, ...MIXED].map((sku) => ({ sku, name: `Item ${sku}`, price: '99.00' })),
      openingStock: () => UNITS,
    });
    store = await ServiceProcess.start('s1', STORE_SERVER, {
      ...common,
      STORE_ID: 's1',
      STORE_TOKEN,
      DATA_DIR: storeDir,
    });
    for (const name of ['central-a', 'central-b']) {
      centrals.push(
        await ServiceProcess.start(name, CENTRAL_SERVER, {
          ...common,
          DATABASE_URL: databaseUrl,
          DATA_DIR: join(dir, name),
          REDIS_URL: redis.url,
          REDIS_KEY_PREFIX: `${prefix}:`,
          RESERVE_LOCK_WAIT_MS: '30000',
          HQ_ADMIN_TOKEN: ADMIN,
          HQ_VIEWER_TOKEN: 'viewer-token-reservations',
        }),
      );
    }
  });

  afterAll(async () => {
    await Promise.allSettled([store?.stop(), ...centrals.map((c) => c.stop())]);
    await Promise.allSettled([nats?.stop(), redis?.stop()]);
    await db?.end();
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });

  const storeStock = async (sku = SKU) => {
    const res = await fetch(`${store.url}/stock/${sku}`, { headers: { authorization: `Bearer ${STORE_TOKEN}` } });
    return (await res.json()) as StockItem;
  };
  const projection = async (sku = SKU) =>
    (
      await db.query<{ onHand: number; reserved: number; version: number }>(
        `select on_hand as "onHand", reserved, version from stock where store_id = 's1' and sku = $1`,
        [sku],
      )
    ).rows[0];
  const call = async (i: number, path: string, body?: object) => {
    const res = await fetch(`${centrals[i % centrals.length]!.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return {
      status: res.status,
      body: (await res.json()) as { id?: string; sku?: string; code?: string; status?: string },
    };
  };

  it('exactly 10 of 200 concurrent buyers get the 10 units; store, projection and reservations agree', async () => {
    // Central must know the opening stock before it can take reservations against it.
    const seeded = await waitFor(projection, (p) => p?.onHand === UNITS);
    expect(seeded).toMatchObject({ onHand: UNITS, reserved: 0 });

    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: BUYERS }, (_, i) =>
        call(i, '/reservations', { sku: SKU, qty: 1, storeId: 's1', ttlSeconds: 600, orderRef: `web-${i}` }),
      ),
    );
    const elapsedMs = performance.now() - started;
    console.info(`${BUYERS} concurrent buyers on 2 replicas answered in ${elapsedMs.toFixed(0)} ms`);

    const byStatus = (status: number) => answers.filter((a) => a.status === status);
    expect(answers.map((a) => a.status).filter((s) => s !== 201 && s !== 409)).toEqual([]);
    expect(byStatus(201)).toHaveLength(UNITS);
    expect(byStatus(409)).toHaveLength(BUYERS - UNITS);
    expect(new Set(byStatus(409).map((a) => a.body.code))).toEqual(new Set(['INSUFFICIENT_STOCK']));

    expect(await storeStock()).toMatchObject({ onHand: UNITS, reserved: UNITS, available: 0 });
    const atStore = await storeStock();
    const converged = await waitFor(projection, (p) => p?.version === atStore.version);
    expect(converged).toEqual({ onHand: atStore.onHand, reserved: atStore.reserved, version: atStore.version });

    const { rows } = await db.query<{ id: string; status: string; store_id: string; qty: number }>(
      'select id, status, store_id, qty from reservations order by id',
    );
    expect(rows).toHaveLength(UNITS);
    expect(rows.every((r) => r.status === 'held' && r.store_id === 's1' && r.qty === 1)).toBe(true);
    expect(rows.map((r) => r.id).sort()).toEqual(
      byStatus(201)
        .map((a) => a.body.id)
        .sort(),
    );
    // Every unit the store holds is one central reservation: the store's ledger says the same.
    const { rows: held } = await db.query<{ n: number }>(
      `select count(*)::int as n from ledger where store_id = 's1' and type = 'reservation.held'`,
    );
    expect(held[0]?.n).toBe(UNITS);
  });

  it('buyers on six SKUs and cancels racing them, through both replicas: no SKU oversold, every cancel done, store = projection = reservations', async () => {
    for (const sku of MIXED)
      await waitFor(
        () => projection(sku),
        (p) => p?.onHand === UNITS,
      );
    const hold = (i: number, sku: string, orderRef: string) =>
      call(i, '/reservations', { sku, qty: 1, storeId: 's1', ttlSeconds: 600, orderRef });
    // Two holds per SKU first, cancelled while 300 more buyers (50 a SKU for 10 units) come in.
    const first = await Promise.all(
      MIXED.flatMap((sku, k) => [0, 1].map((n) => hold(k + n, sku, `first-${sku}-${n}`))),
    );
    expect(first.map((a) => a.status)).toEqual(first.map(() => 201));
    const [buyers, cancels] = await Promise.all([
      Promise.all(Array.from({ length: 300 }, (_, i) => hold(i, MIXED[i % MIXED.length]!, `mixed-${i}`))),
      Promise.all(first.map((a, i) => call(i + 1, `/reservations/${a.body.id}/cancel`))),
    ]);
    // A cancel never starves behind the holds on its SKU (it would be 503 after the lock wait).
    expect(cancels.map((a) => [a.status, a.body.status])).toEqual(cancels.map(() => [200, 'released']));
    expect(buyers.map((a) => a.status).filter((s) => s !== 201 && s !== 409)).toEqual([]);
    // Each buyer holds the SKU it asked for, though its batch mixed SKUs.
    const wrongSku = buyers.filter((a, i) => a.status === 201 && a.body.sku !== MIXED[i % MIXED.length]);
    expect(wrongSku).toEqual([]);

    const { rows } = await db.query<{ sku: string; held: number }>(
      `select sku, count(*)::int as held from reservations
       where store_id = 's1' and status = 'held' and sku like 'MIX-%' group by sku`,
    );
    const heldBySku = new Map(rows.map((r) => [r.sku, r.held]));
    expect([...heldBySku.values()].reduce((a, b) => a + b, 0)).toBe(buyers.filter((a) => a.status === 201).length);
    for (const sku of MIXED) {
      const atStore = await storeStock(sku);
      expect(atStore.reserved).toBe(heldBySku.get(sku) ?? 0); // each unit held is one central reservation
      expect(atStore.reserved).toBeLessThanOrEqual(UNITS);
      expect(atStore.available).toBeGreaterThanOrEqual(0);
      const converged = await waitFor(
        () => projection(sku),
        (p) => p?.version === atStore.version,
      );
      expect(converged).toEqual({ onHand: atStore.onHand, reserved: atStore.reserved, version: atStore.version });
    }
    // 50 buyers a SKU for 10 units: what the first holds gave back was taken again, or nearly all of it.
    expect(buyers.filter((a) => a.status === 201).length).toBeGreaterThanOrEqual(MIXED.length * (UNITS - 2));
  });
});
