import { newId, type StockEvent } from '@stocksync/shared';
import { prng } from '@stocksync/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { openStoreDatabase } from '../src/db/db-plugin';
import { ForkReentryConflictError, type ReentryOutcome, reenterFork } from '../src/recovery/fork-reentry';
import { seedStock, uniqueSku } from './support/factories';
import { applyTransferCommand, forkFiles, session } from './support/fork-files';
import { expectStoreInvariants, readLedger, snapshotState } from './support/invariants';
import type { TestStore } from './support/test-store';

/** Ids a branch can act on: holds and transfers known at the backup, plus what the branch made itself. */
type Known = { skus: string[]; holds: string[]; outbound: string[]; inbound: string[] };
const GUARDED = new Set(['stock.sold', 'reservation.held', 'transfer.shipped']);

/** One random POS or staff operation; refusals (409, 404) are part of the game and change nothing. */
async function randomOperation(store: TestStore, rnd: () => number, known: Known): Promise<void> {
  const pick = <T>(items: readonly T[]) => items[Math.floor(rnd() * items.length)];
  const sku = pick(known.skus)!;
  const qty = 1 + Math.floor(rnd() * 4);
  const r = rnd();
  const send = (url: string, payload: object = {}) => store.request({ method: 'POST', url, payload });
  if (r < 0.3) {
    const other = pick(known.skus)!;
    await send('/sales', {
      lines:
        rnd() < 0.3 && other !== sku
          ? [
              { sku, qty },
              { sku: other, qty: 1 },
            ]
          : [{ sku, qty }],
    });
  } else if (r < 0.38) await send('/returns', { lines: [{ sku, qty }] });
  else if (r < 0.48) await send('/receipts', { lines: [{ sku, qty: qty * 2 }] });
  else if (r < 0.55) await send('/adjustments', { sku, delta: rnd() < 0.5 ? -qty : qty, reason: 'random' });
  else if (r < 0.6) await send('/adjustments', { sku, countedOnHand: Math.floor(rnd() * 12), reason: 'count' });
  else if (r < 0.75) {
    const res = await send('/reservations', { sku, qty, ttlSeconds: 3600 });
    if (res.statusCode === 201) known.holds.push(res.json().id);
  } else if (r < 0.87) {
    const hold = pick(known.holds);
    if (hold) await send(`/reservations/${hold}/${rnd() < 0.5 ? 'confirm' : 'cancel'}`);
  } else if (r < 0.94) {
    const transfer = pick(known.outbound);
    if (transfer) await send(`/transfers/${transfer}/ship`);
  } else {
    const transfer = pick(known.inbound);
    if (transfer) await send(`/transfers/${transfer}/receive`, rnd() < 0.5 ? {} : { receivedQty: 1 });
  }
}

/**
 * Random histories on both sides of a backup: whatever the fork did, re-entering it either changes
 * nothing (and names misfits) or leaves a store the node itself could have produced: ledger equal to
 * stock, holds equal to reserved, the chain whole, nothing available below zero after a sale, hold or
 * shipment, and each SKU at central's history plus exactly the fork movements entered.
 */
describe('fork re-entry on random histories (seeded, replayable)', () => {
  const files = forkFiles();
  afterEach(files.cleanup);

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i', async (seed) => {
    const rnd = prng(seed);
    const history = files.dir('history');
    const skus = [uniqueSku('A'), uniqueSku('B'), uniqueSku('C')];
    const atBackup: Known = { skus, holds: [], outbound: [newId(), newId()], inbound: [newId()] };
    const commonSeq = await session(history, async (store) => {
      await seedStock(
        store.app,
        skus.map((sku) => ({ sku, onHand: Math.floor(rnd() * 10) })),
      );
      for (const transferId of atBackup.outbound) {
        await applyTransferCommand(store, 'transfer.requested', {
          transferId,
          sku: skus[0]!,
          qty: 2,
          fromStoreId: 's1',
          toStoreId: 's2',
        });
      }
      await applyTransferCommand(store, 'transfer.in_transit', {
        transferId: atBackup.inbound[0]!,
        sku: skus[1]!,
        qty: 3,
        fromStoreId: 's2',
        toStoreId: 's1',
      });
      for (let i = 0; i < 6; i++) await randomOperation(store, rnd, atBackup);
      return store.app.repos.ledger.lastSeq();
    });
    const fork = files.copy(history);
    const branch = (): Known => structuredClone(atBackup);
    const historyKnown = branch();
    await session(history, async (store) => {
      for (let i = 0; i < 15; i++) await randomOperation(store, rnd, historyKnown);
    });
    const forkKnown = branch();
    await session(fork, async (store) => {
      for (let i = 0; i < 15; i++) await randomOperation(store, rnd, forkKnown);
    });
    const forked = files.readFork(fork, commonSeq);

    const target = openStoreDatabase({ dataDir: history, storeId: 's1', synchronous: 'FULL' });
    const headBefore = readLedger(target.sqlite).length;
    const stockBefore = stockRows(target.sqlite);
    const before = snapshotState(target.sqlite);
    let outcome: ReentryOutcome;
    try {
      outcome = reenterFork(target.db, 's1', forked);
    } catch (error) {
      expect(error).toBeInstanceOf(ForkReentryConflictError);
      expect(snapshotState(target.sqlite)).toBe(before);
      outcome = reenterFork(target.db, 's1', forked, { skipMisfits: true });
      expect(outcome.skipped.map((c) => c.eventId)).toEqual(
        (error as ForkReentryConflictError).conflicts.map((c) => c.eventId),
      );
    } finally {
      target.sqlite.close();
    }
    const { mapping, skipped } = outcome;
    expect(mapping.length + skipped.length).toBe(forked.events.length);

    await session(history, async (store) => {
      expectStoreInvariants(store.app.sqlite);
      const reentered = readLedger(store.app.sqlite).slice(headBefore);
      expect(reentered.map((e) => e.id)).toEqual(mapping.map((m) => m.eventId));
      const byId = new Map(forked.events.map((e) => [e.id, e]));
      const expected = new Map(stockBefore);
      for (const [i, m] of mapping.entries()) {
        const original = byId.get(m.forkEventId)!;
        const pick = ({ type, sku, delta, reservedDelta, ref, reason, occurredAt }: StockEvent) => ({
          type,
          sku,
          delta,
          reservedDelta,
          ref,
          reason,
          occurredAt,
        });
        expect(pick(reentered[i]!)).toEqual(pick(original));
        const row = expected.get(original.sku)!;
        expected.set(original.sku, {
          onHand: row.onHand + original.delta,
          reserved: row.reserved + original.reservedDelta,
        });
        const e = reentered[i]!;
        if (GUARDED.has(e.type)) expect(e.onHand - e.reserved, `${e.type} ${e.sku}`).toBeGreaterThanOrEqual(0);
      }
      expect(stockRows(store.app.sqlite)).toEqual(expected);
    });
  });
});

function stockRows(sqlite: import('better-sqlite3').Database) {
  const rows = sqlite.prepare('SELECT sku, on_hand AS onHand, reserved FROM stock').all() as Array<{
    sku: string;
    onHand: number;
    reserved: number;
  }>;
  return new Map(rows.map(({ sku, onHand, reserved }) => [sku, { onHand, reserved }]));
}
