import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBatch } from '../src/domain/apply-batch';
import { createBackend, startCentral } from './helpers/central-harness';
import { rng, StoreEventFactory } from './helpers/event-factory';
import { ADMIN_TOKEN, deleteStreams, uniquePrefix, VIEWER_TOKEN } from './helpers/test-env';

const viewer = { authorization: `Bearer ${VIEWER_TOKEN}` };
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

type Page<T> = { items: T[]; nextCursor: string | null };

describe('read API', () => {
  let backend: Awaited<ReturnType<typeof createBackend>>;
  let prefix: string;
  let app: FastifyInstance;
  const r1 = new StoreEventFactory('r1', rng(31));
  const r2 = new StoreEventFactory('r2', rng(32));

  const get = async <T>(url: string, headers: Record<string, string> = viewer) => {
    const res = await app.inject({ method: 'GET', url, headers });
    return { status: res.statusCode, body: res.json() as T };
  };
  /** Follows nextCursor to the end, checking every page is within the limit. */
  const all = async <T>(url: string, limit: number) => {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const sep = url.includes('?') ? '&' : '?';
      const page: { status: number; body: Page<T> } = await get<Page<T>>(
        `${url}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      const { status, body } = page;
      expect(status).toBe(200);
      expect(body.items.length).toBeLessThanOrEqual(limit);
      items.push(...body.items);
      cursor = body.nextCursor;
    } while (cursor);
    return items;
  };

  beforeAll(async () => {
    backend = await createBackend('postgres');
    prefix = uniquePrefix();
    app = await startCentral({ prefix, env: backend.env });
    const events = [...r1.generate(60, ['A-1', 'A-2', 'B-1']), ...r2.generate(40, ['A-1', 'C-1'])];
    await applyBatch(app.db, { events }, { window: 1000 });
    const a1 = r1.state().get('A-1');
    await app.db.execute(
      sql`update stock set min_stock = ${(a1?.onHand ?? 0) - (a1?.reserved ?? 0) + 1} where store_id = 'r1' and sku = 'A-1'`,
    );
    await app.db.execute(sql`update stock set min_stock = 0 where store_id = 'r2' and sku = 'C-1'`);
  });
  afterAll(async () => {
    await app?.close();
    await deleteStreams(prefix);
    await backend?.cleanup();
  });

  it('needs a token (401), the admin role for writes (403), and none for /health, /metrics, /docs', async () => {
    for (const url of [
      '/stores',
      '/stores/r1',
      '/inventory',
      '/products/A-1/availability',
      '/movements',
      '/sync',
      '/sync/breaks',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(401);
      expect(res.json().code).toBe('UNAUTHORIZED');
      expect(
        (await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer wrong-token-x' } })).statusCode,
      ).toBe(401);
    }
    const asViewer = await app.inject({ method: 'POST', url: '/sync/breaks/1/resolve', headers: viewer });
    expect(asViewer.statusCode).toBe(403);
    expect(asViewer.json().code).toBe('FORBIDDEN');
    const asAdmin = await app.inject({ method: 'POST', url: '/sync/breaks/999999/resolve', headers: admin });
    expect(asAdmin.statusCode).toBe(404);
    expect(asAdmin.json().code).toBe('NOT_FOUND');

    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok', checks: { db: 'ok', nats: 'ok' }, driver: 'postgres' });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('central_events_applied_total');
    expect((await app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
    const spec = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(spec.statusCode).toBe(200);
    expect(Object.keys(spec.json().paths)).toEqual(expect.arrayContaining(['/inventory', '/movements', '/sync']));
  });

  it.each([
    '/inventory?limit=0',
    '/inventory?limit=abc',
    '/inventory?limit=1001',
    '/inventory?colour=red',
    '/inventory?lowStock=maybe',
    '/inventory?cursor=not-a-cursor',
    '/stores/Not_A_Store',
    '/stores/r1/inventory?sku=A-1',
    '/movements?since=yesterday',
    '/movements?limit=501',
    '/movements?type=stock.stolen',
    '/movements?cursor=WyJ4Il0',
    '/products/%20bad/availability',
    '/sync/breaks?open=perhaps',
  ])('answers 400 VALIDATION for %s', async (url) => {
    const { status, body } = await get<{ code: string; statusCode: number }>(url);
    expect(status).toBe(400);
    expect(body).toMatchObject({ statusCode: 400, code: 'VALIDATION' });
  });

  it('lists stores and 404s an unknown one', async () => {
    const stores = await all<{ storeId: string; lastSeq: number; chainStatus: string; online: boolean; lagMs: number }>(
      '/stores',
      1,
    );
    expect(stores.map((s) => s.storeId)).toEqual(['r1', 'r2']);
    expect(stores[0]).toMatchObject({ lastSeq: 60, chainStatus: 'ok', online: false });
    expect(stores[0]?.lagMs).toBeGreaterThanOrEqual(0);
    const missing = await get<{ code: string }>('/stores/nope');
    expect(missing).toEqual({ status: 404, body: expect.objectContaining({ code: 'NOT_FOUND' }) });
    expect((await get('/stores/nope/inventory')).status).toBe(404);
  });

  it("pages through a store's inventory with SKU prefix and low-stock filters", async () => {
    const items = await all<{ sku: string; available: number; onHand: number; reserved: number; lowStock: boolean }>(
      '/stores/r1/inventory',
      2,
    );
    expect(items.map((i) => i.sku)).toEqual(['A-1', 'A-2', 'B-1']);
    for (const item of items) {
      const state = r1.state().get(item.sku);
      expect(item).toMatchObject({
        onHand: state?.onHand,
        reserved: state?.reserved,
        available: (state?.onHand ?? 0) - (state?.reserved ?? 0),
      });
    }
    expect((await all<{ sku: string }>('/stores/r1/inventory?skuPrefix=A-', 1)).map((i) => i.sku)).toEqual([
      'A-1',
      'A-2',
    ]);
    const low = await all<{ sku: string; lowStock: boolean }>('/stores/r1/inventory?lowStock=true', 10);
    expect(low).toMatchObject([{ sku: 'A-1', lowStock: true }]);
    expect((await all<{ sku: string }>('/stores/r1/inventory?lowStock=false', 10)).map((i) => i.sku)).toEqual([
      'A-2',
      'B-1',
    ]);
  });

  it('filters chain-wide inventory and shows a SKU across stores with totals', async () => {
    const everything = await all<{ storeId: string; sku: string }>('/inventory', 2);
    expect(everything.map((i) => `${i.storeId}/${i.sku}`)).toEqual(['r1/A-1', 'r1/A-2', 'r1/B-1', 'r2/A-1', 'r2/C-1']);
    expect((await all<{ storeId: string }>('/inventory?sku=A-1', 10)).map((i) => i.storeId)).toEqual(['r1', 'r2']);
    expect((await all<{ sku: string }>('/inventory?storeId=r2', 10)).map((i) => i.sku)).toEqual(['A-1', 'C-1']);
    expect((await all<{ storeId: string }>('/inventory?lowStock=true', 10)).map((i) => i.storeId)).toEqual(['r1']);

    const { status, body } = await get<{
      stores: { storeId: string; onHand: number; reserved: number; available: number; inTransit: number }[];
      totals: { onHand: number; reserved: number; available: number; inTransit: number };
    }>('/products/A-1/availability');
    expect(status).toBe(200);
    const want = [r1, r2].map((f) => ({ storeId: f.storeId, ...f.state().get('A-1') }));
    expect(body.stores).toMatchObject(
      want.map((w) => ({ storeId: w.storeId, onHand: w.onHand, reserved: w.reserved, inTransit: 0 })),
    );
    const sum = (pick: (s: (typeof body.stores)[number]) => number) => body.stores.reduce((n, s) => n + pick(s), 0);
    expect(body.totals).toEqual({
      onHand: sum((s) => s.onHand),
      reserved: sum((s) => s.reserved),
      available: sum((s) => s.available),
      inTransit: 0,
    });
    expect((await get<{ stores: unknown[] }>('/products/NOPE-1/availability')).body.stores).toEqual([]);
  });

  it('lists movements newest first with filters and a cursor that neither skips nor repeats', async () => {
    type Movement = { id: number; storeId: string; sku: string; type: string; seq: number; occurredAt: string };
    const r1a1 = await all<Movement>('/movements?storeId=r1&sku=A-1', 7);
    const expected = r1.events
      .filter((e) => e.sku === 'A-1')
      .map((e) => e.seq)
      .reverse();
    expect(r1a1.map((m) => m.seq)).toEqual(expected);
    const ids = r1a1.map((m) => m.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));

    const sold = await all<Movement>('/movements?type=stock.sold', 500);
    expect(sold.length).toBe([...r1.events, ...r2.events].filter((e) => e.type === 'stock.sold').length);
    expect(sold.every((m) => m.type === 'stock.sold')).toBe(true);

    const pivot = r2.events[10]?.occurredAt ?? '';
    const since = await all<Movement>(`/movements?storeId=r2&since=${encodeURIComponent(pivot)}`, 500);
    expect(since.map((m) => m.seq).sort((a, b) => a - b)).toEqual(r2.events.slice(10).map((e) => e.seq));
    const until = await all<Movement>(`/movements?storeId=r2&until=${encodeURIComponent(pivot)}`, 500);
    expect(until).toHaveLength(10);
  });

  it('reports sync state per store and an empty break list', async () => {
    const sync =
      await get<
        Page<{ storeId: string; lastSeq: number; lastEventAt: string; chainStatus: string; openBreaks: number }>
      >('/sync');
    expect(sync.status).toBe(200);
    expect(sync.body.items).toMatchObject([
      { storeId: 'r1', lastSeq: 60, lastEventAt: r1.events.at(-1)?.occurredAt, chainStatus: 'ok', openBreaks: 0 },
      { storeId: 'r2', lastSeq: 40, chainStatus: 'ok', openBreaks: 0 },
    ]);
    expect((await get<Page<unknown>>('/sync/breaks')).body).toEqual({ items: [], nextCursor: null });
  });
});
