import type { ServiceProcess } from '@stocksync/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedStore } from '../../store-node/src/seed-store';
import { type PosClient, prng, randomPosOperation, storeGet } from '../src/chain/pos-traffic';
import { eventually } from './helpers/http-client';
import { type ProcessChain, startProcessChain } from './helpers/process-chain';

const STORES = ['s1', 's2', 's3'];
const SKUS = Array.from({ length: 12 }, (_, i) => `CV-${i}`);

type StockItem = { sku: string; onHand: number; reserved: number; version: number };

async function traffic(clients: PosClient[], perStore: number, seed: number, holds: string[][]) {
  const results = await Promise.all(
    clients.map(async (client, i) => {
      const random = prng(seed + i);
      const statuses: number[] = [];
      // Four POS terminals per store, each sending one request at a time.
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let n = 0; n < perStore / 4; n++)
            statuses.push((await randomPosOperation(client, SKUS, random, holds[i]!)).status);
        }),
      );
      return statuses;
    }),
  );
  return results.flat();
}

describe('the whole chain converges after NATS is stopped and returns (DESIGN §8.3)', () => {
  let chain: ProcessChain;
  const stores: ServiceProcess[] = [];

  beforeAll(async () => {
    chain = await startProcessChain({ name: 'convergence' });
    for (const storeId of STORES) {
      const products = SKUS.map((sku) => ({ sku, name: sku, price: '4.20' }));
      await seedStore({ dataDir: chain.storeDir(storeId), storeId, products, openingStock: () => 60 });
      stores.push(await chain.startStore(storeId));
    }
  });

  afterAll(async () => {
    await chain?.stop();
  });

  it('every store sells online, offline and after reconnect; central ends equal to each store, each event once', async () => {
    const clients = stores.map((s) => ({ url: s.url, token: chain.tokens.store }));
    const holds = STORES.map(() => [] as string[]);
    const statuses = [...(await traffic(clients, 80, 1, holds))];

    await chain.nats.kill();
    statuses.push(...(await traffic(clients, 200, 2, holds)));
    for (const client of clients) {
      const sync = await storeGet<{ online: boolean; pending: number }>(client, '/sync');
      expect(sync.online).toBe(false);
      expect(sync.pending).toBeGreaterThan(0);
    }
    await chain.nats.restart();
    statuses.push(...(await traffic(clients, 80, 3, holds)));
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.filter((s) => s === 201 || s === 200).length).toBeGreaterThan(500);

    const expected = await Promise.all(
      clients.map(async (client) => ({
        lastSeq: (await storeGet<{ lastSeq: number }>(client, '/sync')).lastSeq,
        stock: (await storeGet<{ items: StockItem[] }>(client, '/stock?limit=500')).items,
      })),
    );
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await chain.db.query<{ store_id: string; last_seq: string }>(
        'select store_id, last_seq from stores order by store_id',
      );
      const caughtUp = STORES.every(
        (id, i) => Number(rows.find((r) => r.store_id === id)?.last_seq ?? 0) === expected[i]!.lastSeq,
      );
      if (caughtUp || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }

    for (const [i, storeId] of STORES.entries()) {
      const { rows: projection } = await chain.db.query<StockItem>(
        'select sku, on_hand as "onHand", reserved, version from stock where store_id = $1 order by sku',
        [storeId],
      );
      const atStore = expected[i]!.stock.map(({ sku, onHand, reserved, version }) => ({
        sku,
        onHand,
        reserved,
        version,
      }));
      expect(projection).toEqual(atStore);
      const { rows: ledger } = await chain.db.query<{
        events: string;
        distinct_ids: string;
        distinct_seqs: string;
        max_seq: string;
      }>(
        `select count(*) as events, count(distinct event_id) as distinct_ids, count(distinct seq) as distinct_seqs,
                max(seq) as max_seq from ledger where store_id = $1`,
        [storeId],
      );
      const lastSeq = String(expected[i]!.lastSeq);
      expect(ledger[0]).toEqual({ events: lastSeq, distinct_ids: lastSeq, distinct_seqs: lastSeq, max_seq: lastSeq });
    }
    const { rows: breaks } = await chain.db.query('select * from chain_breaks');
    expect(breaks).toEqual([]);

    // Each store measured its clock against central's (same machine: within a few ms) and told central.
    for (const [i, storeId] of STORES.entries()) {
      const measured = (await storeGet<{ clockOffsetMs: number | null }>(clients[i]!, '/sync')).clockOffsetMs;
      expect(Math.abs(measured ?? Number.NaN)).toBeLessThan(500);
      const reported = await eventually(
        `${storeId}'s clock offset at central`,
        async () =>
          (
            await chain.db.query<{ offset: string | null }>(
              'select reported_clock_offset_ms as "offset" from stores where store_id = $1',
              [storeId],
            )
          ).rows[0]?.offset ?? null,
        (offset) => offset !== null,
        15_000,
      );
      expect(Math.abs(Number(reported))).toBeLessThan(500);
    }
  });
});
