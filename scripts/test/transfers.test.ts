import type { ServiceProcess } from '@stocksync/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedStore } from '../../store-node/src/seed-store';
import { httpCall, pollUntil, type ServiceClient } from '../src/chain/http-client';
import { prng } from '../src/chain/pos-traffic';
import { type ProcessChain, startProcessChain } from './helpers/process-chain';

const STORES = ['s1', 's2', 's3'] as const;
const FLOW_SKUS = ['T-A', 'T-B', 'T-C'];
const MIX_SKUS = ['K-0', 'K-1', 'K-2'];
const OPENING = 60;

type Transfer = { id: string; status: string; shippedQty: number | null; receivedQty: number | null };
type StockItem = { sku: string; onHand: number; reserved: number; version: number };
type Discrepancy = { kind: string; sku: string; expected: number; actual: number; ref: string | null };

describe('two-step transfers across real processes (central + 3 stores)', () => {
  let chain: ProcessChain;
  const stores = new Map<string, ServiceProcess>();

  const hq = (): ServiceClient => ({ url: chain.central.url, token: chain.tokens.admin });
  const at = (storeId: string): ServiceClient => ({
    url: stores.get(storeId)?.url ?? '',
    token: chain.tokens.store,
  });
  const request = async (sku: string, from: string, to: string, qty: number) => {
    const res = await httpCall<Transfer>(hq(), 'POST', '/transfers', { sku, fromStoreId: from, toStoreId: to, qty });
    expect(res.status).toBe(201);
    return res.body;
  };
  const centralTransfer = async (id: string) => (await httpCall<Transfer>(hq(), 'GET', `/transfers/${id}`)).body;
  const storeTransfer = async (storeId: string, id: string) =>
    httpCall<Transfer>(at(storeId), 'GET', `/transfers/${id}`);
  const storeSees = (storeId: string, id: string, status: string) =>
    pollUntil(
      () => storeTransfer(storeId, id),
      (r) => r.body?.status === status,
      { what: `${storeId} sees ${id} ${status}` },
    );
  const centralSees = (id: string, status: string) =>
    pollUntil(
      () => centralTransfer(id),
      (t) => t.status === status,
      { what: `central sees ${id} ${status}` },
    );
  const onHand = async (storeId: string, sku: string) =>
    (await httpCall<StockItem>(at(storeId), 'GET', `/stock/${sku}`)).body.onHand;

  beforeAll(async () => {
    chain = await startProcessChain({ name: 'transfers' });
    const products = [...FLOW_SKUS, ...MIX_SKUS].map((sku) => ({ sku, name: sku, price: '3.00' }));
    for (const storeId of STORES) {
      await seedStore({ dataDir: chain.storeDir(storeId), storeId, products, openingStock: () => OPENING });
      stores.set(storeId, await chain.startStore(storeId));
    }
    // Central must know every store and its opening stock before HQ can request transfers.
    await pollUntil(
      async () => (await chain.db.query('select count(*)::int as n from stock')).rows[0]?.n,
      (n) => n === STORES.length * products.length,
      { what: 'opening stock at central' },
    );
  });

  afterAll(async () => {
    await chain?.stop();
  });

  it('request → ship at source → in transit at central → received short at target, with discrepancies', async () => {
    const transfer = await request('T-A', 's1', 's2', 10);
    await storeSees('s1', transfer.id, 'requested');
    await storeSees('s2', transfer.id, 'requested');

    const tooMuch = await request('T-B', 's1', 's3', OPENING + 1);
    await storeSees('s1', tooMuch.id, 'requested');
    const refused = await httpCall<{ code: string }>(at('s1'), 'POST', `/transfers/${tooMuch.id}/ship`);
    expect([refused.status, refused.body.code]).toEqual([409, 'INSUFFICIENT_STOCK']);
    expect(await onHand('s1', 'T-B')).toBe(OPENING);

    const key = { 'idempotency-key': `ship-${transfer.id}` };
    const shipped = await httpCall<Transfer>(at('s1'), 'POST', `/transfers/${transfer.id}/ship`, undefined, key);
    expect([shipped.status, shipped.body.status]).toEqual([200, 'in_transit']);
    const retried = await httpCall<Transfer>(at('s1'), 'POST', `/transfers/${transfer.id}/ship`, undefined, key);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect((await httpCall<Transfer>(at('s1'), 'POST', `/transfers/${transfer.id}/ship`)).body.status).toBe(
      'in_transit',
    );
    expect(await onHand('s1', 'T-A')).toBe(OPENING - 10);

    expect(await centralSees(transfer.id, 'in_transit')).toMatchObject({ shippedQty: 10 });
    const availability = await httpCall<{
      stores: { storeId: string; inTransit: number }[];
      totals: { onHand: number; inTransit: number };
    }>(hq(), 'GET', '/products/T-A/availability');
    expect(availability.body.totals).toMatchObject({ onHand: 3 * OPENING - 10, inTransit: 10 });
    expect(availability.body.stores.find((s) => s.storeId === 's2')?.inTransit).toBe(10);
    expect((await httpCall(hq(), 'POST', `/transfers/${transfer.id}/cancel`)).status).toBe(409);

    await storeSees('s2', transfer.id, 'in_transit');
    const received = await httpCall<Transfer>(at('s2'), 'POST', `/transfers/${transfer.id}/receive`, {
      receivedQty: 8,
    });
    expect(received.body).toMatchObject({ status: 'received', receivedQty: 8 });
    expect(await onHand('s2', 'T-A')).toBe(OPENING + 8);
    const atStore = (await httpCall<{ items: Discrepancy[] }>(at('s2'), 'GET', '/discrepancies')).body.items;
    expect(atStore).toEqual([expect.objectContaining({ kind: 'transfer_short', expected: 10, actual: 8 })]);

    expect(await centralSees(transfer.id, 'received')).toMatchObject({ shippedQty: 10, receivedQty: 8 });
    const atCentral = await httpCall<{ items: (Discrepancy & { storeId: string })[] }>(
      hq(),
      'GET',
      '/discrepancies?kind=transfer_short&storeId=s2',
    );
    expect(atCentral.body.items).toEqual([
      expect.objectContaining({ sku: 'T-A', expected: 10, actual: 8, ref: transfer.id }),
    ]);
    // The source's own view closes too, with what arrived.
    expect((await storeSees('s1', transfer.id, 'received')).body).toMatchObject({ shippedQty: 10, receivedQty: 8 });
  });

  it('a cancel before shipping reaches both stores, and the source then refuses to ship', async () => {
    const transfer = await request('T-C', 's2', 's3', 5);
    await storeSees('s2', transfer.id, 'requested');
    expect((await httpCall<Transfer>(hq(), 'POST', `/transfers/${transfer.id}/cancel`)).body.status).toBe('cancelled');
    await storeSees('s2', transfer.id, 'cancelled');
    await storeSees('s3', transfer.id, 'cancelled');
    const ship = await httpCall<{ code: string }>(at('s2'), 'POST', `/transfers/${transfer.id}/ship`);
    expect([ship.status, ship.body.code]).toEqual([409, 'CONFLICT']);
    expect(await onHand('s2', 'T-C')).toBe(OPENING);
    expect((await centralTransfer(transfer.id)).status).toBe('cancelled');
  });

  it('a target store that was offline gets its commands when it comes back', async () => {
    const s3 = stores.get('s3');
    await s3?.stop();
    const transfer = await request('T-B', 's1', 's3', 4);
    await storeSees('s1', transfer.id, 'requested');
    await httpCall(at('s1'), 'POST', `/transfers/${transfer.id}/ship`);
    await centralSees(transfer.id, 'in_transit');
    await s3?.start();
    await storeSees('s3', transfer.id, 'in_transit');
    const received = await httpCall<Transfer>(at('s3'), 'POST', `/transfers/${transfer.id}/receive`);
    expect([received.status, received.body]).toEqual([200, expect.objectContaining({ receivedQty: 4 })]);
    expect(await centralSees(transfer.id, 'received')).toMatchObject({ receivedQty: 4 });
    expect(await onHand('s3', 'T-B')).toBe(OPENING + 4);
  });

  it('conserves stock + in transit under many concurrent transfers both ways (DESIGN §8.5)', async () => {
    const initial = STORES.length * OPENING;
    /** One snapshot of central: per SKU Σ onHand + in transit + recorded shortfalls. */
    const conservedAtCentral = async () => {
      const { rows } = await chain.db.query<{ sku: string; total: number }>(
        `select s.sku,
           (select coalesce(sum(on_hand), 0) from stock where sku = s.sku)
         + (select coalesce(sum(shipped_qty), 0) from transfers where sku = s.sku and status = 'in_transit')
         + (select coalesce(sum(expected - actual), 0) from discrepancies where sku = s.sku and kind = 'transfer_short')
           as total
         from unnest($1::text[]) as s(sku) order by s.sku`,
        [MIX_SKUS],
      );
      return rows.map((r) => Number(r.total));
    };

    const random = prng(42);
    const plans = Array.from({ length: 60 }, (_, i) => {
      const from = STORES[Math.floor(random() * 3)] ?? 's1';
      const to = STORES.filter((s) => s !== from)[Math.floor(random() * 2)] ?? 's2';
      const roll = random();
      const fate = roll < 0.1 ? 'cancel' : roll < 0.2 ? 'race-cancel' : roll < 0.3 ? 'stay-in-transit' : 'receive';
      return {
        sku: MIX_SKUS[i % 3] ?? 'K-0',
        from,
        to,
        qty: 1 + Math.floor(random() * 5),
        fate,
        short: random() < 0.3,
      };
    });
    const created = await Promise.all(plans.map((p) => request(p.sku, p.from, p.to, p.qty)));

    const samples: number[][] = [];
    let running = true;
    const sampler = (async () => {
      while (running) {
        samples.push(await conservedAtCentral());
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const outcomes = await Promise.all(
      plans.map(async (plan, i) => {
        const id = created[i]?.id ?? '';
        await new Promise((r) => setTimeout(r, random() * 500));
        await storeSees(plan.from, id, 'requested');
        if (plan.fate === 'cancel') {
          expect((await httpCall(hq(), 'POST', `/transfers/${id}/cancel`)).status).toBe(200);
          return 'cancelled';
        }
        const shipping = httpCall<Transfer>(at(plan.from), 'POST', `/transfers/${id}/ship`);
        if (plan.fate === 'race-cancel') await httpCall(hq(), 'POST', `/transfers/${id}/cancel`);
        const ship = await shipping;
        if (ship.status !== 200) return 'cancelled';
        if (plan.fate === 'stay-in-transit') return 'in_transit';
        await storeSees(plan.to, id, 'in_transit');
        const receivedQty = plan.short ? plan.qty - 1 : plan.qty;
        const res = await httpCall<Transfer>(at(plan.to), 'POST', `/transfers/${id}/receive`, { receivedQty });
        expect(res.status).toBe(200);
        return 'received';
      }),
    );
    await Promise.all(created.map((t, i) => centralSees(t.id, outcomes[i] ?? '')));
    running = false;
    await sampler;
    expect(samples.length).toBeGreaterThan(5);
    for (const sample of samples) expect(sample).toEqual(MIX_SKUS.map(() => initial));
    expect(outcomes.filter((o) => o === 'in_transit').length).toBeGreaterThan(0);

    // After convergence: the stores' own stock agrees with central, and with the chain-wide balance.
    for (const storeId of STORES) {
      const { lastSeq } = (await httpCall<{ lastSeq: number }>(at(storeId), 'GET', '/sync')).body;
      await pollUntil(
        async () =>
          Number(
            (await chain.db.query('select last_seq from stores where store_id = $1', [storeId])).rows[0]?.last_seq,
          ),
        (seq) => seq === lastSeq,
        { what: `${storeId} caught up` },
      );
    }
    const inTransit = await chain.db.query<{ sku: string; qty: number }>(
      `select sku, sum(shipped_qty)::int as qty from transfers where status = 'in_transit' group by sku`,
    );
    for (const sku of MIX_SKUS) {
      let atStores = 0;
      let shortAtStores = 0;
      for (const storeId of STORES) {
        const item = (await httpCall<StockItem>(at(storeId), 'GET', `/stock/${sku}`)).body;
        const { rows } = await chain.db.query('select on_hand from stock where store_id = $1 and sku = $2', [
          storeId,
          sku,
        ]);
        expect(rows[0]?.on_hand).toBe(item.onHand);
        atStores += item.onHand;
        const found = (await httpCall<{ items: Discrepancy[] }>(at(storeId), 'GET', '/discrepancies')).body.items;
        for (const d of found) if (d.sku === sku) shortAtStores += d.expected - d.actual;
      }
      const travelling = inTransit.rows.find((r) => r.sku === sku)?.qty ?? 0;
      expect(atStores + travelling + shortAtStores, sku).toBe(initial);
    }
  });
});
