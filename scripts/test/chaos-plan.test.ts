import { chainEvent, GENESIS_HASH, newId, type StockEvent } from '@stocksync/shared';
import { describe, expect, it } from 'vitest';
import { audit } from '../src/chaos/chaos-audit';
import { ChaosJournal } from '../src/chaos/chaos-journal';
import { FAULT_KINDS, planChaos } from '../src/chaos/chaos-plan';
import type { CentralSnapshot, LedgerEvent, StoreSnapshot } from '../src/chaos/chaos-snapshot';

const options = { seed: 42, operations: 3_000, stores: 3, skus: ['A', 'B', 'C'], faultEvery: 100, cutOffEvents: 10 };

describe('chaos plan', () => {
  it('is a pure function of its options: same seed, same steps; another seed, other steps', () => {
    expect(planChaos(options)).toEqual(planChaos(options));
    expect(planChaos({ ...options, seed: 43 })).not.toEqual(planChaos(options));
  });

  it('injects every fault kind, and refers only to holds, orders and transfers planned before', () => {
    const steps = planChaos(options);
    const kinds = new Set(steps.flatMap((s) => ('fault' in s ? [s.fault.kind] : [])));
    expect([...kinds].sort()).toEqual([...FAULT_KINDS].sort());
    const seen = { hold: new Set<number>(), order: new Set<number>(), transfer: new Set<number>() };
    for (const step of steps) {
      if (!('op' in step)) continue;
      const op = step.op;
      if (op.kind === 'hold') seen.hold.add(op.hold);
      if (op.kind === 'hold-end') expect(seen.hold.has(op.hold)).toBe(true);
      if (op.kind === 'online-hold') {
        expect(seen.order.has(op.order)).toBe(false);
        seen.order.add(op.order);
      }
      if (op.kind === 'online-end') expect(seen.order.has(op.order)).toBe(true);
      if (op.kind === 'transfer') seen.transfer.add(op.transfer);
      if (op.kind === 'ship' || op.kind === 'receive') expect(seen.transfer.has(op.transfer)).toBe(true);
    }
  });
});

/** A store with one received and one sold event, and a central that holds exactly the same. */
function consistentWorld() {
  const received = chainEvent(
    {
      id: newId(),
      schema: 1,
      storeId: 's1',
      seq: 1,
      type: 'stock.received',
      sku: 'A',
      delta: 5,
      reservedDelta: 0,
      onHand: 5,
      reserved: 0,
      version: 1,
      occurredAt: '2026-11-23T10:00:00.000Z',
      ref: 'r-1',
    },
    GENESIS_HASH,
  );
  const sold = chainEvent(
    {
      id: newId(),
      schema: 1,
      storeId: 's1',
      seq: 2,
      type: 'stock.sold',
      sku: 'A',
      delta: -2,
      reservedDelta: 0,
      onHand: 3,
      reserved: 0,
      version: 2,
      occurredAt: '2026-11-23T10:00:01.000Z',
      ref: 'r-2',
    },
    received.hash,
  );
  const events: StockEvent[] = [received, sold];
  const ledger: LedgerEvent[] = events.map((e) => ({
    eventId: e.id,
    seq: e.seq,
    type: e.type,
    sku: e.sku,
    delta: e.delta,
    reservedDelta: e.reservedDelta,
    onHand: e.onHand,
    reserved: e.reserved,
    version: e.version,
    ref: e.ref ?? null,
    hash: e.hash,
    prevHash: e.prevHash,
  }));
  const store: StoreSnapshot = {
    id: 's1',
    events,
    ledger,
    stock: new Map([['A', { onHand: 3, reserved: 0, version: 2 }]]),
    holds: new Map(),
    transfers: new Map(),
    products: new Map([['A', { name: 'A', price: '5', active: true }]]),
  };
  const central: CentralSnapshot = {
    cursors: new Map([['s1', { lastSeq: 2 }]]),
    stock: new Map([['s1/A', { onHand: 3, reserved: 0, version: 2 }]]),
    ledger: ledger.map((e) => ({ ...e, storeId: 's1' })),
    openChainBreaks: 0,
    projectionDrift: [],
    alertMismatches: [],
    openAlerts: 0,
    reservations: new Map(),
    transfers: new Map(),
    shortfalls: new Map(),
    products: new Map([['A', { name: 'A', price: '5', active: true }]]),
  };
  const journal = new ChaosJournal();
  journal.ack({ storeId: 's1', kind: 'receipt', ref: 'r-1', events: [{ sku: 'A', version: 1 }] });
  journal.ack({ storeId: 's1', kind: 'sale', ref: 'r-2', events: [{ sku: 'A', version: 2 }] });
  return { store, central, journal };
}

describe('chaos audit: each invariant check fires on a planted violation', () => {
  it('finds nothing wrong in a consistent world', () => {
    const { store, central, journal } = consistentWorld();
    const { violations } = audit(journal, [store], central, []);
    expect(Object.values(violations).every((n) => n === 0)).toBe(true);
  });

  it('an acknowledged write missing at central is lost; a second copy is double-applied', () => {
    const lost = consistentWorld();
    lost.central.ledger.pop();
    expect(audit(lost.journal, [lost.store], lost.central, []).violations.lost).toBe(1);
    const twice = consistentWorld();
    twice.central.ledger.push(twice.central.ledger[1]!);
    expect(audit(twice.journal, [twice.store], twice.central, []).violations.doubleApplied).toBe(1);
  });

  it('an answer given on a fork counts at the version its re-entry sealed; only a misfit left out is nothing to find', () => {
    const lostOf = (world: ReturnType<typeof consistentWorld>) =>
      audit(world.journal, [world.store], world.central, []).violations.lost;
    // The fork answered the sale at version 9; the re-entry sealed it again at 2.
    const resealed = consistentWorld();
    resealed.journal.acked[1] = { storeId: 's1', kind: 'sale', ref: 'r-2', events: [{ sku: 'A', version: 9 }] };
    expect(lostOf(resealed)).toBe(1);
    resealed.journal.recordForkFate('s1', 'r-2', { sku: 'A', type: 'stock.sold', version: 9, newVersion: 2 });
    expect(lostOf(resealed)).toBe(0);
    // A sale and a hold answered on the fork and left out as misfits (their SKU is counted instead).
    const skipped = consistentWorld();
    skipped.journal.ack({ storeId: 's1', kind: 'sale', ref: 'f-1', events: [{ sku: 'A', version: 3 }] });
    skipped.journal.ack({ storeId: 's1', kind: 'hold', ref: 'h-1', events: [{ sku: 'A', type: 'reservation.held' }] });
    expect(lostOf(skipped)).toBe(2);
    skipped.journal.recordForkFate('s1', 'f-1', { sku: 'A', type: 'stock.sold', version: 3, newVersion: null });
    skipped.journal.recordForkFate('s1', 'h-2', { sku: 'A', type: 'reservation.held', version: 4, newVersion: null });
    expect(lostOf(skipped)).toBe(1); // another hold's skip does not excuse this one
    skipped.journal.recordForkFate('s1', 'h-1', { sku: 'A', type: 'reservation.held', version: 4, newVersion: null });
    expect(lostOf(skipped)).toBe(0);
  });

  it('a tampered event breaks the chain; a diverged projection is a mismatch; an oversell is counted', () => {
    const tampered = consistentWorld();
    tampered.store.events[1] = { ...tampered.store.events[1]!, delta: -1 };
    expect(audit(tampered.journal, [tampered.store], tampered.central, []).violations.chainBreaks).toBe(1);
    const diverged = consistentWorld();
    diverged.central.stock.set('s1/A', { onHand: 4, reserved: 0, version: 2 });
    expect(audit(diverged.journal, [diverged.store], diverged.central, []).violations.mismatches).toBeGreaterThan(0);
    const oversold = consistentWorld();
    oversold.store.ledger[1] = { ...oversold.store.ledger[1]!, onHand: -2 };
    expect(audit(oversold.journal, [oversold.store], oversold.central, []).violations.oversoldUnits).toBe(2);
  });

  it('anything reconciliation had to repair or found diverged during the run is a violation', () => {
    const drifted = consistentWorld();
    drifted.central.projectionDrift.push('s1/A: store 3, central 4 (reconcile:repair:store-v2:central-v2)');
    const { violations, examples } = audit(drifted.journal, [drifted.store], drifted.central, []);
    expect(violations.projectionDrift).toBe(1);
    expect(examples).toContain('projectionDrift: s1/A: store 3, central 4 (reconcile:repair:store-v2:central-v2)');
  });

  it('a low-stock alert that disagrees with its final row is a violation', () => {
    const wrong = consistentWorld();
    wrong.central.alertMismatches.push('s1/A: available 3, min 5, 0 open alert(s)');
    const { violations, examples } = audit(wrong.journal, [wrong.store], wrong.central, []);
    expect(violations.alerts).toBe(1);
    expect(examples).toContain('alerts: s1/A: available 3, min 5, 0 open alert(s)');
  });
});
