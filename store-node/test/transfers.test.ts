import { newId, type StoreCommand } from '@stocksync/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedStock, uniqueSku } from './support/factories';
import { expectStoreInvariants, readLedger } from './support/invariants';
import { createTestStore, type TestStore } from './support/test-store';

/** Transfers at the store (s1): commands from central in any order, ship and receive rules. */
describe('transfers at the store', () => {
  let store: TestStore;
  let sku: string;
  beforeEach(async () => {
    store = await createTestStore();
    sku = uniqueSku();
    await seedStock(store.app, [{ sku, onHand: 10 }]);
  });
  afterEach(async () => {
    await store.close();
  });

  const command = (type: 'transfer.requested' | 'transfer.in_transit', transferId: string, from: string, to: string) =>
    ({
      type,
      id: newId(),
      transferId,
      sku,
      qty: 4,
      fromStoreId: from,
      toStoreId: to,
      issuedAt: new Date().toISOString(),
    }) satisfies StoreCommand;
  /** `transfer`: what a current central sends along (an older one sent the id alone). */
  const cancel = (
    transferId: string,
    transfer?: { sku: string; qty: number; fromStoreId: string; toStoreId: string },
  ): StoreCommand => ({
    type: 'transfer.cancelled',
    id: newId(),
    transferId,
    issuedAt: new Date().toISOString(),
    ...transfer,
  });
  const apply = (c: StoreCommand) => store.app.writes.submit(() => store.app.transfers.applyCommand(c));
  const post = (url: string, payload?: object) =>
    store.request({ method: 'POST', url, ...(payload ? { payload } : {}) });
  const stock = async () => (await store.request({ method: 'GET', url: `/stock/${sku}` })).json();

  it('ships once (idempotent), refuses after a cancel and when stock is short', async () => {
    const id = newId();
    await apply(command('transfer.requested', id, 's1', 's2'));
    await apply(command('transfer.requested', id, 's1', 's2'));
    for (let i = 0; i < 2; i++) {
      const shipped = await post(`/transfers/${id}/ship`);
      expect([shipped.statusCode, shipped.json().status]).toEqual([200, 'in_transit']);
    }
    expect(await stock()).toMatchObject({ onHand: 6 });
    await apply(cancel(id));
    expect((await store.request({ method: 'GET', url: `/transfers/${id}` })).json().status).toBe('in_transit');
    expect(readLedger(store.app.sqlite).filter((e) => e.type === 'transfer.shipped')).toEqual([
      expect.objectContaining({ delta: -4, ref: id }),
    ]);

    const cancelled = newId();
    await apply(command('transfer.requested', cancelled, 's1', 's3'));
    await apply(cancel(cancelled));
    expect((await post(`/transfers/${cancelled}/ship`)).json().code).toBe('CONFLICT');

    const big = newId();
    await apply({ ...command('transfer.requested', big, 's1', 's2'), qty: 7 });
    const refused = await post(`/transfers/${big}/ship`);
    expect([refused.statusCode, refused.json().code]).toEqual([409, 'INSUFFICIENT_STOCK']);
    expect(await stock()).toMatchObject({ onHand: 6 });
    expectStoreInvariants(store.app.sqlite);
  });

  it('a cancel that overtakes its request leaves a cancelled record: the late request does not reopen it', async () => {
    const id = newId();
    const request = command('transfer.requested', id, 's1', 's2');
    await apply(cancel(id)); // from an older central: nothing to keep, nothing kept
    expect((await store.request({ method: 'GET', url: `/transfers/${id}` })).statusCode).toBe(404);
    await apply(cancel(id, { sku, qty: request.qty, fromStoreId: 's1', toStoreId: 's2' }));
    await apply(request);
    const view = (await store.request({ method: 'GET', url: `/transfers/${id}` })).json();
    expect(view).toMatchObject({ status: 'cancelled', sku, qty: 4, fromStoreId: 's1', toStoreId: 's2' });
    expect((await post(`/transfers/${id}/ship`)).json().code).toBe('CONFLICT');
    expect(await stock()).toMatchObject({ onHand: 10 });

    // At the target, goods that left before the cancel was known still arrive.
    const inbound = newId();
    await apply(cancel(inbound, { sku, qty: 4, fromStoreId: 's2', toStoreId: 's1' }));
    await apply(command('transfer.in_transit', inbound, 's2', 's1'));
    expect((await post(`/transfers/${inbound}/receive`)).json()).toMatchObject({ status: 'received', receivedQty: 4 });
    expect(await stock()).toMatchObject({ onHand: 14 });
    expectStoreInvariants(store.app.sqlite);
  });

  it('receives with or without a body; short opens a discrepancy; in_transit wins over a raced cancel', async () => {
    const full = newId();
    await apply(command('transfer.requested', full, 's2', 's1'));
    expect((await post(`/transfers/${full}/receive`)).statusCode).toBe(409);
    await apply(command('transfer.in_transit', full, 's2', 's1'));
    const received = await post(`/transfers/${full}/receive`);
    expect([received.statusCode, received.json().receivedQty]).toEqual([200, 4]);
    expect((await post(`/transfers/${full}/receive`, { receivedQty: 1 })).json().receivedQty).toBe(4);

    // HQ cancelled, but the offline source had already shipped: the goods must be receivable.
    const raced = newId();
    await apply(command('transfer.requested', raced, 's2', 's1'));
    await apply(cancel(raced));
    await apply(command('transfer.in_transit', raced, 's2', 's1'));
    expect((await post(`/transfers/${raced}/receive`, { receivedQty: 5 })).statusCode).toBe(409);
    const short = await post(`/transfers/${raced}/receive`, { receivedQty: 3 });
    expect(short.json()).toMatchObject({ status: 'received', receivedQty: 3, shippedQty: 4 });
    expect(await stock()).toMatchObject({ onHand: 17 });
    const found = (await store.request({ method: 'GET', url: '/discrepancies' })).json().items;
    expect(found).toEqual([expect.objectContaining({ kind: 'transfer_short', expected: 4, actual: 3, ref: raced })]);
    expectStoreInvariants(store.app.sqlite);
  });

  it("the source's view closes when central reports the receipt; repeats and foreign transfers change nothing", async () => {
    const id = newId();
    await apply(command('transfer.requested', id, 's1', 's2'));
    expect((await post(`/transfers/${id}/ship`)).json()).toMatchObject({ status: 'in_transit', shippedQty: 4 });
    const before = await stock();
    const received = (qty: number, transferId = id): StoreCommand => ({
      type: 'transfer.received',
      id: newId(),
      transferId,
      receivedQty: qty,
      issuedAt: new Date().toISOString(),
    });
    await apply(received(3));
    await apply(received(1));
    const view = (await store.request({ method: 'GET', url: `/transfers/${id}` })).json();
    expect(view).toMatchObject({ status: 'received', shippedQty: 4, receivedQty: 3 });
    expect(await stock()).toEqual(before);

    // This store is the target of `inbound`: only its own receive may close it.
    const inbound = newId();
    await apply(command('transfer.in_transit', inbound, 's2', 's1'));
    await apply(received(4, inbound));
    expect((await store.request({ method: 'GET', url: `/transfers/${inbound}` })).json().status).toBe('in_transit');
    expectStoreInvariants(store.app.sqlite);
  });
});
