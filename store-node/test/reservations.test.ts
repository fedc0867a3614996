import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/domain/clock';
import { seedStock, uniqueSku } from './support/factories';
import { expectStoreInvariants } from './support/invariants';
import { createTestStore, type TestStore } from './support/test-store';

describe('reservations at the store', () => {
  let store: TestStore;
  let clock: ManualClock;
  let sku: string;
  beforeEach(async () => {
    clock = new ManualClock(Date.parse('2026-06-01T10:00:00Z'));
    store = await createTestStore({ clock, env: { RESERVATION_SWEEP_MS: '3600000' } });
    sku = uniqueSku();
    await seedStock(store.app, [{ sku, onHand: 10 }]);
  });
  afterEach(async () => {
    await store.close();
  });

  const hold = (qty: number, ttlSeconds = 600) =>
    store.request({ method: 'POST', url: '/reservations', payload: { sku, qty, ttlSeconds, orderRef: 'order-1' } });
  const stock = async () => (await store.request({ method: 'GET', url: `/stock/${sku}` })).json();

  it('holds reduce available, confirm sells, cancel releases; both idempotent', async () => {
    const a = (await hold(3)).json();
    const b = (await hold(2)).json();
    expect(a).toMatchObject({ sku, qty: 3, status: 'held', source: 'pos', orderRef: 'order-1' });
    expect(await stock()).toMatchObject({ onHand: 10, reserved: 5, available: 5 });

    for (let i = 0; i < 2; i++) {
      const confirmed = await store.request({ method: 'POST', url: `/reservations/${a.id}/confirm` });
      expect(confirmed.statusCode).toBe(200);
      expect(confirmed.json().status).toBe('confirmed');
      const cancelled = await store.request({ method: 'POST', url: `/reservations/${b.id}/cancel` });
      expect(cancelled.statusCode).toBe(200);
      expect(cancelled.json().status).toBe('released');
    }
    expect(await stock()).toMatchObject({ onHand: 7, reserved: 0, available: 7, version: 5 });
    const types = store.app.sqlite.prepare('select type from ledger where sku = ? order by seq').pluck().all(sku);
    expect(types).toEqual([
      'stock.received',
      'reservation.held',
      'reservation.held',
      'reservation.confirmed',
      'reservation.released',
    ]);

    const cancelConfirmed = await store.request({ method: 'POST', url: `/reservations/${a.id}/cancel` });
    expect(cancelConfirmed.statusCode).toBe(409);
    const confirmReleased = await store.request({ method: 'POST', url: `/reservations/${b.id}/confirm` });
    expect(confirmReleased.statusCode).toBe(409);
    expectStoreInvariants(store.app.sqlite);
  });

  it('the node expires holds itself when their TTL passes (no network, injected clock)', async () => {
    const short = (await hold(4, 60)).json();
    const long = (await hold(1, 3600)).json();
    clock.advance(59_000);
    expect(await store.app.writes.submit(() => store.app.reservations.expireDue())).toBe(0);

    clock.advance(1_000);
    const confirmLate = await store.request({ method: 'POST', url: `/reservations/${short.id}/confirm` });
    expect(confirmLate.statusCode).toBe(409);
    expect(await store.app.writes.submit(() => store.app.reservations.expireDue())).toBe(1);
    expect((await store.request({ method: 'GET', url: `/reservations/${short.id}` })).json().status).toBe('expired');
    expect((await store.request({ method: 'GET', url: `/reservations/${long.id}` })).json().status).toBe('held');
    expect(await stock()).toMatchObject({ onHand: 10, reserved: 1, available: 9 });

    const cancelExpired = await store.request({ method: 'POST', url: `/reservations/${short.id}/cancel` });
    expect(cancelExpired.statusCode).toBe(200);
    expect(cancelExpired.json().status).toBe('expired');
    expectStoreInvariants(store.app.sqlite);
  });

  it('200 concurrent holds of 1 on 10 units: exactly 10 held, available never below 0', async () => {
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => hold(1)));
    const codes = results.map((r) => (r.status === 'fulfilled' ? r.value.statusCode : 0));
    expect(codes.filter((c) => c === 201)).toHaveLength(10);
    expect(codes.filter((c) => c === 409)).toHaveLength(190);
    expect(await stock()).toMatchObject({ onHand: 10, reserved: 10, available: 0 });
    expectStoreInvariants(store.app.sqlite);
  });

  it('concurrent confirms and cancels of the same holds apply each hold exactly once', async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, async () => (await hold(2)).json().id as string));
    const attempts = ids.flatMap((id, i) =>
      Array.from({ length: 6 }, (_, j) =>
        store.request({ method: 'POST', url: `/reservations/${id}/${(i + j) % 2 === 0 ? 'confirm' : 'cancel'}` }),
      ),
    );
    const results = await Promise.allSettled(attempts);
    expect(results.every((r) => r.status === 'fulfilled' && [200, 409].includes(r.value.statusCode))).toBe(true);
    const closed = store.app.sqlite
      .prepare(`select count(*) from ledger where type in ('reservation.confirmed','reservation.released')`)
      .pluck()
      .get();
    expect(closed).toBe(5);
    expect((await stock()).reserved).toBe(0);
    expectStoreInvariants(store.app.sqlite);
  });

  it('404 for an unknown reservation, 400 for a malformed id', async () => {
    const missing = await store.request({ method: 'GET', url: '/reservations/01890a5d-ac96-774b-bcce-b302099a8057' });
    expect(missing.statusCode).toBe(404);
    const bad = await store.request({ method: 'POST', url: '/reservations/not-an-id/confirm' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('VALIDATION');
  });

  it('lists holds soonest expiry first, by status, source and SKU, page by page (the pick list for online orders)', async () => {
    const other = uniqueSku();
    await seedStock(store.app, [{ sku: other, onHand: 10 }]);
    const online = (qty: number, ttlSeconds: number, orderRef: string) =>
      store.app.writes.submit(() =>
        store.app.reservations.hold({ sku: other, qty, ttlSeconds, source: 'central', orderRef }),
      );
    const late = (await hold(1, 900)).json();
    const soon = await online(1, 60, 'web-1');
    const middle = await online(2, 300, 'web-2');
    const done = (await hold(1, 120)).json();
    await store.request({ method: 'POST', url: `/reservations/${done.id}/confirm` });
    const list = async (query: string) => {
      const res = await store.request({ method: 'GET', url: `/reservations${query}` });
      expect(res.statusCode).toBe(200);
      return res.json() as { items: Array<{ id: string }>; nextCursor: string | null };
    };
    const ids = (page: { items: Array<{ id: string }> }) => page.items.map((r) => r.id);

    expect(ids(await list(''))).toEqual([soon.id, middle.id, late.id]);
    expect(ids(await list('?source=central'))).toEqual([soon.id, middle.id]);
    expect((await list('?source=central')).items[0]).toMatchObject({ orderRef: 'web-1', source: 'central', qty: 1 });
    expect(ids(await list(`?sku=${sku}`))).toEqual([late.id]);
    expect(ids(await list('?status=confirmed'))).toEqual([done.id]);

    const first = await list('?limit=2');
    expect(ids(first)).toEqual([soon.id, middle.id]);
    const second = await list(`?limit=2&after=${first.nextCursor}`);
    expect(ids(second)).toEqual([late.id]);
    expect(second.nextCursor).toBeNull();

    // Expired by the node itself, offline: off the held list, on the expired one.
    clock.advance(61_000);
    await store.app.writes.submit(() => store.app.reservations.expireDue());
    expect(ids(await list(''))).toEqual([middle.id, late.id]);
    expect(ids(await list('?status=expired'))).toEqual([soon.id]);

    for (const query of ['?after=bm90LWEtY3Vyc29y', '?status=gone', '?limit=0', '?orderRef=x']) {
      const bad = await store.request({ method: 'GET', url: `/reservations${query}` });
      expect(bad.statusCode, query).toBe(400);
      expect(bad.json().code).toBe('VALIDATION');
    }
  });
});
