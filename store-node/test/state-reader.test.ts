import { setImmediate as nextTurn } from 'node:timers/promises';
import { type StoreSkuState, stateChecksum } from '@stocksync/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateReader, type StateReader } from '../src/sync/state-reader';
import { seedStock } from './support/factories';
import { createTestStore, type TestStore } from './support/test-store';

const SKUS = Array.from({ length: 1_050 }, (_, i) => `ST-${String(i).padStart(4, '0')}`);

describe('state reader: reconciliation reads off the POS thread, one snapshot per answer', () => {
  let store: TestStore;
  let reader: StateReader;
  const states = () =>
    store.app.sqlite
      .prepare('SELECT sku, on_hand AS onHand, reserved, version, last_seq AS seq FROM stock ORDER BY sku')
      .all() as StoreSkuState[];
  const lastSeq = () => store.app.sqlite.prepare('SELECT max(seq) FROM ledger').pluck().get() as number;

  beforeAll(async () => {
    store = await createTestStore();
    await seedStock(
      store.app,
      SKUS.map((sku, i) => ({ sku, onHand: i % 10 })), // every tenth SKU stays untouched
    );
    reader = createStateReader(store.app.sqliteFile, { summaryChunk: 100 });
  });
  afterAll(async () => {
    await reader?.close();
    await store?.close();
  });

  it('hashes the whole table chunk by chunk to the checksum of one pass', async () => {
    const summary = await reader.summary();
    expect(summary).toEqual({ lastSeq: lastSeq(), ...stateChecksum(states()), stock: [], nextAfterSku: null });
    expect(summary.skuCount).toBe(945);
  });

  it('a write committed while the summary yields is not in it: seq and checksum stay one moment', async () => {
    const before = { lastSeq: lastSeq(), ...stateChecksum(states()) };
    const summary = reader.summary();
    await nextTurn(); // the summary has opened its snapshot and hashed its first chunk of 11
    // A sale of the last SKU through the write queue: it commits at the next turn, long before the
    // summary reaches that SKU's chunk (one chunk per turn).
    const sku = SKUS.at(-1) ?? '';
    await store.app.writes.submit(() => store.app.inventory.sell([{ sku, qty: 1 }]));
    expect(lastSeq()).toBe(before.lastSeq + 1);
    expect(await summary).toMatchObject(before);
    expect(await reader.summary()).toMatchObject({ lastSeq: before.lastSeq + 1, ...stateChecksum(states()) });
  });

  it('pages by SKU after afterSku, each with the seq of its own snapshot and each state with its event', async () => {
    const first = await reader.page(undefined, 500);
    expect(first.stock.map((s) => s.sku)).toEqual(SKUS.slice(0, 500));
    expect(first).toMatchObject({ lastSeq: lastSeq(), nextAfterSku: SKUS[499] });
    expect(first.checksum).toBeUndefined();
    const last = await reader.page(SKUS[999], 500);
    expect(last.stock).toEqual(states().slice(1_000));
    expect(last.nextAfterSku).toBeNull();
    expect(last.stock.at(-1)?.seq).toBe(lastSeq()); // the sale above
  });
});
