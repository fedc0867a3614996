import { existsSync, writeFileSync } from 'node:fs';
import { newId, verifyChain } from '@stocksync/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { openStoreDatabase } from '../src/db/db-plugin';
import { ForkReentryConflictError, reenterFork } from '../src/recovery/fork-reentry';
import { seedStock, uniqueSku } from './support/factories';
import { applyTransferCommand, forkFiles, post, session } from './support/fork-files';
import { expectStoreInvariants, readLedger, snapshotState } from './support/invariants';
import { createTestStore } from './support/test-store';

/**
 * A store restored from a backup that sold before anyone ran the recovery has two histories after the
 * backup's head: central's (what the lost disk had published) and the fork's. Here both are real store
 * files: one copy goes on as central's history, the other as the fork, and the fork is re-entered on top
 * of the first.
 */
describe('re-entering a fork on top of central history', () => {
  const files = forkFiles();
  afterEach(files.cleanup);
  const { fileOf } = files;

  /** The backup's state: stock of two SKUs, a POS hold and a transfer to ship. Returns the two directories. */
  async function backupAndCopy() {
    const history = files.dir('history');
    const [x, y] = [uniqueSku('X'), uniqueSku('Y')];
    const transferId = newId();
    const before = await session(history, async (store) => {
      await seedStock(store.app, [
        { sku: x, onHand: 10 },
        { sku: y, onHand: 5 },
      ]);
      const hold = await post(store, '/reservations', { sku: x, qty: 2, ttlSeconds: 3600 });
      await applyTransferCommand(store, 'transfer.requested', {
        transferId,
        sku: y,
        qty: 3,
        fromStoreId: 's1',
        toStoreId: 's2',
      });
      return { holdId: hold.id as string, commonSeq: store.app.repos.ledger.lastSeq() };
    });
    return { history, fork: files.copy(history), x, y, transferId, ...before };
  }

  it('seals every fork movement after central history, with its ref, reason and time, and rebuilds the views', async () => {
    const retryKey = { 'idempotency-key': 'fork-sale-1' };
    const { history, fork, x, y, transferId, holdId, commonSeq } = await backupAndCopy();
    const saleRequest = { lines: [{ sku: x, qty: 3 }] };
    await session(history, (store) => post(store, '/sales', { lines: [{ sku: x, qty: 4 }] }));
    const onFork = await session(fork, async (store) => {
      const res = await store.request({ method: 'POST', url: '/sales', payload: saleRequest, headers: retryKey });
      const sale = res.json();
      await post(store, `/reservations/${holdId}/confirm`, {});
      const hold = await post(store, '/reservations', { sku: y, qty: 1, ttlSeconds: 7200 });
      await post(store, `/transfers/${transferId}/ship`, {});
      await post(store, '/adjustments', { sku: y, delta: -1, reason: 'broken in the back room' });
      await post(store, '/receipts', { lines: [{ sku: x, qty: 5 }] });
      return { saleId: sale.id as string, holdId: hold.id as string };
    });

    const history1 = files.readFork(fork, commonSeq);
    expect(history1.events.map((e) => e.type)).toEqual([
      'stock.sold',
      'reservation.confirmed',
      'reservation.held',
      'transfer.shipped',
      'stock.adjusted',
      'stock.received',
    ]);

    const target = openStoreDatabase({ dataDir: history, storeId: 's1', synchronous: 'FULL' });
    const headBefore = readLedger(target.sqlite).length;
    const { mapping, skipped, recount } = reenterFork(target.db, 's1', history1);
    expect(skipped).toEqual([]);
    expect(recount).toEqual([]); // Y was counted on the fork, but central's history did not move Y
    target.sqlite.close();
    expect(mapping.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6].map((i) => headBefore + i));

    await session(history, async (store) => {
      const events = readLedger(store.app.sqlite);
      expect(verifyChain(events)).toBeNull();
      const reentered = events.slice(headBefore);
      for (const [i, original] of history1.events.entries()) {
        const { type, sku, delta, reservedDelta, ref, reason, occurredAt } = original;
        expect(reentered[i]).toMatchObject({ type, sku, delta, reservedDelta, occurredAt, id: mapping[i]!.eventId });
        expect([reentered[i]!.ref, reentered[i]!.reason]).toEqual([ref, reason]);
      }
      expect(reentered[0]!.ref).toBe(onFork.saleId); // the sale id the POS printed still finds its lines
      // X: 10 − 4 (history) − 3 (fork sale) − 2 (hold confirmed) + 5; Y: 5 − 3 shipped − 1 broken, 1 held.
      const stock = async (sku: string) => (await store.request({ method: 'GET', url: `/stock/${sku}` })).json();
      expect(await stock(x)).toMatchObject({ onHand: 6, reserved: 0 });
      expect(await stock(y)).toMatchObject({ onHand: 1, reserved: 1, available: 0 });
      const holdOf = async (id: string) => (await store.request({ method: 'GET', url: `/reservations/${id}` })).json();
      expect(await holdOf(holdId)).toMatchObject({ status: 'confirmed' });
      const newHold = history1.holds.find((h) => h.id === onFork.holdId)!;
      expect(await holdOf(onFork.holdId)).toMatchObject({
        status: 'held',
        expiresAt: new Date(newHold.expiresAtMs).toISOString(), // the TTL the customer was given
      });
      expect(store.app.transfers.get(transferId)).toMatchObject({ status: 'in_transit', shippedQty: 3 });
      // The POS retries the fork's sale (its answer was lost): it gets the fork's answer, not a second sale.
      const retried = await store.request({ method: 'POST', url: '/sales', payload: saleRequest, headers: retryKey });
      expect([retried.statusCode, retried.json().id]).toEqual([201, onFork.saleId]);
      expect(readLedger(store.app.sqlite)).toHaveLength(events.length);
      expectStoreInvariants(store.app.sqlite);
    });
  });

  it('re-enters nothing and names every misfit when central history left too little; asked to, enters what fits', async () => {
    const { history, fork, x, y, transferId, holdId, commonSeq } = await backupAndCopy();
    await session(history, async (store) => {
      await post(store, '/sales', { lines: [{ sku: x, qty: 7 }] }); // 1 of X left next to the hold of 2
      await post(store, `/reservations/${holdId}/cancel`, {});
      await post(store, `/transfers/${transferId}/ship`, {});
    });
    await session(fork, async (store) => {
      await post(store, '/sales', { lines: [{ sku: x, qty: 2 }] }); // fits: 3 of X were left after the cancel
      await post(store, '/sales', { lines: [{ sku: x, qty: 5 }] }); // does not: 1 left
      await post(store, `/reservations/${holdId}/confirm`, {}); // central history cancelled it
      await post(store, `/transfers/${transferId}/ship`, {}); // shipped already
      await post(store, '/receipts', { lines: [{ sku: y, qty: 1 }] }); // fits
      await post(store, '/adjustments', { sku: x, delta: 1, reason: 'found behind the shelf' }); // fits
    });
    const forkHistory = files.readFork(fork, commonSeq);

    const target = openStoreDatabase({ dataDir: history, storeId: 's1', synchronous: 'FULL' });
    const before = snapshotState(target.sqlite);
    let refused: unknown;
    try {
      reenterFork(target.db, 's1', forkHistory);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ForkReentryConflictError);
    const conflicts = (refused as ForkReentryConflictError).conflicts;
    expect(conflicts.map((c) => [c.seq - commonSeq, c.type])).toEqual([
      [2, 'stock.sold'],
      [3, 'reservation.confirmed'],
      [4, 'transfer.shipped'],
    ]);
    expect(conflicts[0]!.problem).toContain('needs 5 available');
    expect(conflicts[1]!.problem).toContain('released');
    expect(conflicts[2]!.problem).toContain('in_transit, not requested');
    expect(conflicts[2]!.ref).toBe(transferId); // what the operator finds it by
    expect(snapshotState(target.sqlite)).toBe(before);

    // Asked to, it enters what fits (a sale, the receipt, the adjustment) and hands back the rest for a count.
    const partial = reenterFork(target.db, 's1', forkHistory, { skipMisfits: true });
    target.sqlite.close();
    expect(partial.skipped).toEqual(conflicts);
    expect(partial.mapping.map((m) => m.forkSeq - commonSeq)).toEqual([1, 5, 6]);
    expect(partial.recount).toEqual([x]); // adjusted on the fork while central's history sold X
    await session(history, async (store) => {
      const stock = async (sku: string) => (await store.request({ method: 'GET', url: `/stock/${sku}` })).json();
      expect(await stock(x)).toMatchObject({ onHand: 2, reserved: 0 }); // 10 − 7 − 2 + 1
      expect(await stock(y)).toMatchObject({ onHand: 3, reserved: 0 }); // 5 − 3 shipped + 1
      await post(store, '/sales', { lines: [{ sku: y, qty: 1 }] }); // the chain head followed the appends
      expectStoreInvariants(store.app.sqlite);
    });
  });

  it('a node does not start beside an interrupted swap (it would open an empty file and sell from seq 1)', async () => {
    const dataDir = files.dir('swap');
    writeFileSync(`${fileOf(dataDir)}.reentered`, '');
    await expect(createTestStore({ dataDir })).rejects.toThrow('a fork re-entry was interrupted');
    expect(existsSync(fileOf(dataDir))).toBe(false);
  });
});
