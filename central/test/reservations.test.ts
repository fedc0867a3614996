import type { NatsConnection } from '@nats-io/transport-node';
import { publishProduct, TestRedisServer } from '@stocksync/shared/testing';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../src/db/database';
import { idForIdempotencyKey } from '../src/domain/idempotent-id';
import { type CentralWithStores, startCentralWithStores } from './helpers/central-with-stores';
import { eventually, type TestStore } from './helpers/store-fixture';
import { ADMIN_TOKEN, uniquePrefix, VIEWER_TOKEN } from './helpers/test-env';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
type Reservation = { id: string; storeId: string; sku: string; qty: number; status: string; expiresAt: string };
type ErrorBody = { statusCode: number; code: string; message: string };

describe('online reservations (central + real store nodes, PostgreSQL, NATS, Redis)', () => {
  let central: CentralWithStores<'s1' | 's2'>;
  let redis: TestRedisServer;
  let app: FastifyInstance;
  let nc: NatsConnection;
  let s1: TestStore;
  let s2: TestStore;
  const prefix = uniquePrefix();

  const post = async <T>(url: string, body?: unknown, headers: Record<string, string> = admin) => {
    const res = await app.inject({ method: 'POST', url, headers, ...(body ? { payload: body as object } : {}) });
    return { status: res.statusCode, body: res.json() as T };
  };
  const get = async <T>(url: string) => {
    const res = await app.inject({ method: 'GET', url, headers: admin });
    return { status: res.statusCode, body: res.json() as T };
  };
  const hold = (body: Record<string, unknown>) =>
    post<Reservation & ErrorBody>('/reservations', { ttlSeconds: 600, orderRef: 'web-1', ...body });
  const centralRows = async () =>
    rowsOf<{ n: number }>(await app.db.execute(sql`select count(*)::int as n from reservations`))[0]?.n ?? 0;
  const metric = async (name: string) => {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);
  };
  const unsettledAttempts = async (sku: string) =>
    rowsOf<{ n: number }>(
      await app.db.execute(
        sql`select count(*)::int as n from reservation_attempts where sku = ${sku} and settled_at is null`,
      ),
    )[0]?.n ?? 0;
  const projected = async (storeId: string, sku: string) =>
    rowsOf<{ on_hand: number; reserved: number }>(
      await app.db.execute(sql`select on_hand, reserved from stock where store_id = ${storeId} and sku = ${sku}`),
    )[0];

  /** Product at the store via the catalog bucket, opening stock via a receipt, visible at central. */
  async function stock(store: TestStore, storeId: string, sku: string, qty: number) {
    await publishProduct(nc, prefix, sku);
    await eventually(
      () => store.call('GET', `/stock/${sku}`),
      (r) => r.status === 200,
    );
    await store.receive(sku, qty);
    await eventually(
      () => projected(storeId, sku),
      (p) => p?.on_hand === qty,
    );
  }

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    central = await startCentralWithStores({
      driver: 'postgres',
      prefix,
      env: { REDIS_URL: redis.url, RESERVE_TIMEOUT_MS: '1000', REDIS_KEY_PREFIX: `${prefix}:` },
      stores: { s1: { env: { RESERVATION_SWEEP_MS: '100' } }, s2: {} },
    });
    ({ app, nc } = central);
    ({ s1, s2 } = central.stores);
  });
  afterAll(async () => {
    try {
      await central?.stop();
    } finally {
      await redis?.stop();
    }
  });

  it('holds at the store before answering 201; confirm and cancel are idempotent', async () => {
    await stock(s1, 's1', 'R-1', 10);
    const held = await hold({ sku: 'R-1', qty: 3, storeId: 's1' });
    expect(held.status).toBe(201);
    expect(held.body).toMatchObject({ storeId: 's1', sku: 'R-1', qty: 3, status: 'held' });
    expect(await s1.stock('R-1')).toMatchObject({ onHand: 10, reserved: 3, available: 7 });
    expect((await s1.call<{ status: string }>('GET', `/reservations/${held.body.id}`)).body.status).toBe('held');

    const first = await post<Reservation>(`/reservations/${held.body.id}/confirm`);
    const again = await post<Reservation>(`/reservations/${held.body.id}/confirm`);
    expect([first.status, first.body.status, again.status, again.body.status]).toEqual([
      200,
      'confirmed',
      200,
      'confirmed',
    ]);
    expect(await s1.stock('R-1')).toMatchObject({ onHand: 7, reserved: 0 });
    expect((await post<ErrorBody>(`/reservations/${held.body.id}/cancel`)).body.code).toBe('CONFLICT');

    const second = await hold({ sku: 'R-1', qty: 2, storeId: 's1' });
    const cancelled = await post<Reservation>(`/reservations/${second.body.id}/cancel`);
    const cancelledAgain = await post<Reservation>(`/reservations/${second.body.id}/cancel`);
    expect([cancelled.body.status, cancelledAgain.status, cancelledAgain.body.status]).toEqual([
      'released',
      200,
      'released',
    ]);
    expect((await post<ErrorBody>(`/reservations/${second.body.id}/confirm`)).status).toBe(409);
    expect(await s1.stock('R-1')).toMatchObject({ onHand: 7, reserved: 0, available: 7 });
    // Central's projection follows the store's events (never the replies).
    await eventually(
      () => projected('s1', 'R-1'),
      (p) => p?.on_hand === 7 && p.reserved === 0,
    );
    expect((await get<Reservation>(`/reservations/${held.body.id}`)).body.status).toBe('confirmed');
  });

  it('an Idempotency-Key makes a retried hold answer the first reservation, held once', async () => {
    await stock(s1, 's1', 'R-IDEM', 10);
    const keyed = { ...admin, 'idempotency-key': 'web-order-77-line-1' };
    const body = { sku: 'R-IDEM', qty: 2, storeId: 's1', ttlSeconds: 600, orderRef: 'web-77' };
    const first = await post<Reservation>('/reservations', body, keyed);
    const retry = await post<Reservation>('/reservations', body, keyed);
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(retry.body.id).toBe(first.body.id);
    expect(await s1.stock('R-IDEM')).toMatchObject({ reserved: 2, available: 8 });
    const other = await post<ErrorBody>('/reservations', { ...body, qty: 3 }, keyed);
    expect([other.status, other.body.code]).toEqual([409, 'IDEMPOTENCY_MISMATCH']);
    expect(await s1.stock('R-IDEM')).toMatchObject({ reserved: 2 });
    const rows = rowsOf<{ n: number }>(
      await app.db.execute(sql`select count(*)::int as n from reservations where sku = 'R-IDEM'`),
    )[0]?.n;
    expect(rows).toBe(1);
  });

  it('refuses with 409 when the projection or the store cannot cover the quantity', async () => {
    await stock(s1, 's1', 'R-2', 2);
    const res = await hold({ sku: 'R-2', qty: 3, storeId: 's1' });
    expect([res.status, res.body.code]).toEqual([409, 'INSUFFICIENT_STOCK']);
    expect(await s1.stock('R-2')).toMatchObject({ reserved: 0 });
    expect((await hold({ sku: 'R-2', qty: 1, storeId: 's9' })).status).toBe(409);
  });

  it('concurrent holds on one SKU share a lock hold and a store request; each gets its own answer', async () => {
    await stock(s1, 's1', 'R-BATCH', 5);
    const before = await centralRows();
    // 12 buyers of 1 and one of 10 at once: 5 units, so exactly 5 holds of 1 and the rest 409.
    const answers = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => hold({ sku: 'R-BATCH', qty: 1, storeId: 's1', orderRef: `b-${i}` })),
      hold({ sku: 'R-BATCH', qty: 10, storeId: 's1', orderRef: 'b-big' }),
    ]);
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 409)).toHaveLength(8);
    expect(new Set(answers.filter((a) => a.status === 409).map((a) => a.body.code))).toEqual(
      new Set(['INSUFFICIENT_STOCK']),
    );
    const ids = answers.filter((a) => a.status === 201).map((a) => a.body.id);
    expect(new Set(ids).size).toBe(5);
    expect(answers.filter((a) => a.status === 201).every((a) => a.body.qty === 1)).toBe(true);
    expect(await s1.stock('R-BATCH')).toMatchObject({ onHand: 5, reserved: 5, available: 0 });
    expect(await centralRows()).toBe(before + 5);
  });

  it('the store expiring a hold by its TTL shows at central; confirming it then is 409', async () => {
    await stock(s1, 's1', 'R-3', 5);
    const held = await hold({ sku: 'R-3', qty: 2, storeId: 's1', ttlSeconds: 1 });
    expect(held.status).toBe(201);
    await eventually(
      () => get<Reservation>(`/reservations/${held.body.id}`),
      (r) => r.body.status === 'expired',
    );
    expect(await s1.stock('R-3')).toMatchObject({ reserved: 0, available: 5 });
    const confirm = await post<ErrorBody>(`/reservations/${held.body.id}/confirm`);
    expect([confirm.status, confirm.body.code]).toEqual([409, 'CONFLICT']);
  });

  it('without a storeId central picks a store that can cover it, most available first', async () => {
    await stock(s1, 's1', 'R-4', 4);
    await stock(s2, 's2', 'R-4', 9);
    const big = await hold({ sku: 'R-4', qty: 6 });
    expect([big.status, big.body.storeId]).toEqual([201, 's2']);
    expect(await s2.stock('R-4')).toMatchObject({ reserved: 6 });
    await eventually(
      () => projected('s2', 'R-4'),
      (p) => p?.reserved === 6,
    );
    // s2 now has 3 available, s1 has 4: s1 is first.
    const small = await hold({ sku: 'R-4', qty: 4 });
    expect([small.status, small.body.storeId]).toEqual([201, 's1']);
    expect((await hold({ sku: 'R-4', qty: 5 })).status).toBe(409);
  });

  it('a stopped store → 503 STORE_UNAVAILABLE, and nothing is held there when it returns', async () => {
    await stock(s2, 's2', 'R-5', 5);
    const before = await centralRows();
    await s2.process.stop();
    try {
      const res = await hold({ sku: 'R-5', qty: 1, storeId: 's2' });
      expect([res.status, res.body.code]).toEqual([503, 'STORE_UNAVAILABLE']);
    } finally {
      await s2.process.start();
    }
    expect(await s2.stock('R-5')).toMatchObject({ reserved: 0, available: 5 });
    expect(await centralRows()).toBe(before);
  });

  it('a frozen store → 503 after the timeout, and the late hold is released by the compensating cancel', async () => {
    await stock(s2, 's2', 'R-6', 5);
    const before = await centralRows();
    s2.process.pause();
    let res: { status: number; body: ErrorBody };
    try {
      res = await hold({ sku: 'R-6', qty: 2, storeId: 's2' });
    } finally {
      s2.process.resume();
    }
    expect([res.status, res.body.code]).toEqual([503, 'STORE_UNAVAILABLE']);
    // Central's ledger mirrors the store's: the hold it recorded late, then the release.
    const types = await eventually(
      async () =>
        rowsOf<{ type: string }>(
          await app.db.execute(sql`select type from ledger where store_id = 's2' and sku = 'R-6' order by seq`),
        ).map((r) => r.type),
      (t) => t.includes('reservation.released'),
    );
    expect(types).toEqual(['stock.received', 'reservation.held', 'reservation.released']);
    expect(await s2.stock('R-6')).toMatchObject({ reserved: 0, available: 5 });
    expect(await centralRows()).toBe(before);
  });

  it('a store frozen for many sweeps keeps its late hold only until it answers again; then it is released', async () => {
    await stock(s2, 's2', 'R-LONG', 4);
    s2.process.pause();
    let res: { status: number; body: ErrorBody };
    try {
      res = await hold({ sku: 'R-LONG', qty: 3, storeId: 's2' });
      expect([res.status, res.body.code]).toEqual([503, 'STORE_UNAVAILABLE']);
      // Longer than any fixed number of in-memory retries: the attempt row is what remembers it.
      await new Promise((r) => setTimeout(r, 6_000));
      expect(await unsettledAttempts('R-LONG')).toBe(1);
      expect(await metric('central_reservation_attempts_unsettled')).toBeGreaterThanOrEqual(1);
    } finally {
      s2.process.resume();
    }
    await eventually(
      () => unsettledAttempts('R-LONG'),
      (n) => n === 0,
      20_000,
    );
    expect(await s2.stock('R-LONG')).toMatchObject({ reserved: 0, available: 4 });
    expect(await metric('central_orphan_holds_released_total')).toBeGreaterThanOrEqual(1);
  });

  it('a retried key whose first attempt held at the store (central lost the answer) gets that hold, not 409', async () => {
    await stock(s1, 's1', 'R-LOST', 3);
    const key = 'web-order-lost-answer';
    const id = idForIdempotencyKey('reservation', key);
    // What a central that crashed after the store's answer leaves behind: the attempt, and the hold.
    await app.db.execute(
      sql`insert into reservation_attempts (reservation_id, store_id, sku) values (${id}, 's1', 'R-LOST')`,
    );
    const raw = await nc.request(
      `${prefix}.inv.rpc.s1.reserve`,
      JSON.stringify({
        op: 'holds',
        holds: [{ reservationId: id, sku: 'R-LOST', qty: 3, ttlSeconds: 600, orderRef: 'web-lost' }],
      }),
      { timeout: 5_000 },
    );
    expect(raw.json<{ ok: boolean; results: Array<{ ok: boolean }> }>().results[0]?.ok).toBe(true);
    await eventually(
      () => projected('s1', 'R-LOST'),
      (p) => p?.reserved === 3,
    );
    // The projection now says 0 available; the retry must still find its own hold at the store.
    const body = { sku: 'R-LOST', qty: 3, storeId: 's1', ttlSeconds: 600, orderRef: 'web-lost' };
    const retry = await post<Reservation>('/reservations', body, { ...admin, 'idempotency-key': key });
    expect([retry.status, retry.body.id]).toEqual([201, id]);
    expect(await s1.stock('R-LOST')).toMatchObject({ reserved: 3, available: 0 });
    await eventually(
      () => unsettledAttempts('R-LOST'),
      (n) => n === 0,
    );
  });

  it('Redis down → 503 DEPENDENCY_UNAVAILABLE and nothing held; back up → reservations work again', async () => {
    await stock(s1, 's1', 'R-7', 5);
    const before = await centralRows();
    await redis.kill();
    try {
      const res = await hold({ sku: 'R-7', qty: 1, storeId: 's1' });
      expect([res.status, res.body.code]).toEqual([503, 'DEPENDENCY_UNAVAILABLE']);
      const anywhere = await hold({ sku: 'R-7', qty: 1 });
      expect([anywhere.status, anywhere.body.code]).toEqual([503, 'DEPENDENCY_UNAVAILABLE']);
      expect(await s1.stock('R-7')).toMatchObject({ reserved: 0 });
      expect(await centralRows()).toBe(before);
    } finally {
      await redis.restart();
    }
    const res = await eventually(
      () => hold({ sku: 'R-7', qty: 1, storeId: 's1' }),
      (r) => r.status !== 503,
    );
    expect(res.status).toBe(201);
    expect(await s1.stock('R-7')).toMatchObject({ reserved: 1 });
  });

  it('validates input and roles', async () => {
    expect((await hold({ sku: 'R-1', qty: 0, storeId: 's1' })).status).toBe(400);
    expect((await hold({ sku: 'R-1', qty: 1, storeId: 's1', extra: true })).status).toBe(400);
    expect((await post('/reservations', { sku: 'R-1', qty: 1, ttlSeconds: 60 })).status).toBe(400);
    const viewer = { authorization: `Bearer ${VIEWER_TOKEN}` };
    expect((await post('/reservations', { sku: 'R-1', qty: 1, ttlSeconds: 60, orderRef: 'x' }, viewer)).status).toBe(
      403,
    );
    expect((await get('/reservations/0190c2a4-0000-7000-8000-000000000000')).status).toBe(404);
    expect((await get('/reservations/not-a-uuid')).status).toBe(400);
  });
});
