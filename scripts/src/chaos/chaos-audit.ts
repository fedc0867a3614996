import { verifyChain } from '@stocksync/shared';
import type { ChaosJournal } from './chaos-journal';
import { type CentralSnapshot, type StoreSnapshot, stockKey } from './chaos-snapshot';

/** Each invariant of DESIGN §8 as a count that must be 0, with a few examples for the report. */
export type Violations = Record<
  | 'lost'
  | 'doubleApplied'
  | 'oversoldUnits'
  | 'mismatches'
  | 'ledgerErrors'
  | 'chainBreaks'
  | 'projectionDrift'
  | 'alerts'
  | 'regressions'
  | 'conservation'
  | 'unexplainedEvents'
  | 'badInputAccepted'
  | 'serverErrors'
  | 'unanswered',
  number
>;
/** openAlerts: alerts open at the end, so a zero `alerts` count is seen not to be vacuous. */
export type AuditResult = { violations: Violations; examples: string[]; openAlerts: number };

/** Event types after which available (onHand − reserved) must never be negative (DESIGN §8.2). */
const GUARDED = new Set(['stock.sold', 'reservation.held', 'transfer.shipped']);
const MOVEMENT_KINDS = new Set(['sale', 'return', 'receipt', 'adjust', 'count']);

export function audit(
  journal: ChaosJournal,
  stores: StoreSnapshot[],
  central: CentralSnapshot,
  regressions: string[],
): AuditResult {
  const v: Violations = {
    lost: 0,
    doubleApplied: 0,
    oversoldUnits: 0,
    mismatches: 0,
    ledgerErrors: 0,
    chainBreaks: central.openChainBreaks,
    projectionDrift: central.projectionDrift.length,
    alerts: central.alertMismatches.length,
    regressions: regressions.length,
    conservation: 0,
    unexplainedEvents: 0,
    badInputAccepted: journal.badInputNot4xx,
    serverErrors: journal.serverErrors.length,
    unanswered: journal.unresolved,
  };
  const examples: string[] = [...regressions.slice(0, 3), ...journal.serverErrors.slice(0, 3)];
  const flag = (kind: keyof Violations, message: string, amount = 1) => {
    v[kind] += amount;
    if (examples.length < 40) examples.push(`${kind}: ${message}`);
  };
  if (central.openChainBreaks > 0) examples.push(`chainBreaks: ${central.openChainBreaks} open at central`);
  examples.push(...central.projectionDrift.slice(0, 3).map((d) => `projectionDrift: ${d}`));
  examples.push(...central.alertMismatches.slice(0, 3).map((d) => `alerts: ${d}`));

  const centralByStore = new Map<string, CentralSnapshot['ledger']>();
  for (const event of central.ledger) {
    const list = centralByStore.get(event.storeId) ?? [];
    list.push(event);
    centralByStore.set(event.storeId, list);
  }
  const transferIds = new Set([...journal.transfers.values()].map((t) => t.id));
  const posHoldIds = new Set([...journal.posHolds.values()].map((h) => h.id));
  const orderRefs = new Set([...journal.orders.values()].map((o) => o.orderRef));
  const ackedRefs = new Set(journal.acked.map((w) => `${w.storeId}|${w.ref}`));

  for (const store of stores) {
    const chainBreak = verifyChain(store.events);
    if (chainBreak) flag('chainBreaks', `${store.id} ${chainBreak.reason} at seq ${chainBreak.seq}`);

    // §8.1 at the store: the stock row is the sum of its ledger, reserved the sum of its open holds.
    const sums = new Map<string, { onHand: number; reserved: number; events: number }>();
    const byRef = new Map<string, number>();
    for (const e of store.ledger) {
      const sum = sums.get(e.sku) ?? { onHand: 0, reserved: 0, events: 0 };
      sum.onHand += e.delta;
      sum.reserved += e.reservedDelta;
      sum.events++;
      sums.set(e.sku, sum);
      if (e.ref) byRef.set(e.ref, (byRef.get(e.ref) ?? 0) + 1);
      if (GUARDED.has(e.type) && e.onHand - e.reserved < 0) {
        flag(
          'oversoldUnits',
          `${store.id} seq ${e.seq} ${e.type} ${e.sku} available ${e.onHand - e.reserved}`,
          e.reserved - e.onHand,
        );
      }
      if (
        !explained(e, store, { transferIds, posHoldIds, onlineHoldIds: journal.onlineHoldIds, orderRefs, ackedRefs })
      ) {
        flag('unexplainedEvents', `${store.id} seq ${e.seq} ${e.type} ref ${e.ref}`);
      }
    }
    const heldBySku = new Map<string, number>();
    for (const hold of store.holds.values()) {
      if (hold.status === 'held') heldBySku.set(hold.sku, (heldBySku.get(hold.sku) ?? 0) + hold.qty);
    }
    for (const [sku, row] of store.stock) {
      const sum = sums.get(sku) ?? { onHand: 0, reserved: 0, events: 0 };
      if (row.onHand !== sum.onHand || row.reserved !== sum.reserved || row.version !== sum.events) {
        flag('ledgerErrors', `${store.id} ${sku} row ${JSON.stringify(row)} ledger ${JSON.stringify(sum)}`);
      }
      if (row.reserved !== (heldBySku.get(sku) ?? 0)) {
        flag('ledgerErrors', `${store.id} ${sku} reserved ${row.reserved} but holds ${heldBySku.get(sku) ?? 0}`);
      }
      // §8.3: central's projection equals the store, exactly.
      const projected = central.stock.get(stockKey(store.id, sku));
      if (row.version > 0 && JSON.stringify(projected) !== JSON.stringify(row)) {
        flag('mismatches', `${store.id} ${sku} store ${JSON.stringify(row)} central ${JSON.stringify(projected)}`);
      }
    }

    // §8.3/§8.6: central's ledger holds each store event exactly once, with the same seq and hash.
    const atCentral = centralByStore.get(store.id) ?? [];
    const ids = new Set(atCentral.map((e) => e.eventId));
    if (ids.size !== atCentral.length)
      flag('doubleApplied', `${store.id}: ${atCentral.length - ids.size} repeated`, atCentral.length - ids.size);
    const centralById = new Map(atCentral.map((e) => [e.eventId, e]));
    for (const e of store.ledger) {
      const c = centralById.get(e.eventId);
      if (!c) flag('mismatches', `${store.id} seq ${e.seq} missing at central`);
      else if (c.seq !== e.seq || c.hash !== e.hash || c.version !== e.version) {
        flag('mismatches', `${store.id} seq ${e.seq} differs at central`);
      }
    }
    if (atCentral.length > store.ledger.length)
      flag(
        'mismatches',
        `${store.id}: central has ${atCentral.length - store.ledger.length} events the store never wrote`,
      );
    const cursor = central.cursors.get(store.id);
    if (cursor?.lastSeq !== store.ledger.length)
      flag('mismatches', `${store.id} cursor ${cursor?.lastSeq} store ${store.ledger.length}`);

    // §8.6: every acknowledged write is in the store's ledger and at central; a retried one only once.
    const storeByRef = groupByRef(store.ledger);
    const centralByRef = groupByRef(atCentral);
    for (const write of journal.acked) {
      if (write.storeId !== store.id) continue;
      // An answer given on a fork promised the fork's versions: the re-entry sealed the event again with
      // another version, or left it out as a misfit (for a count), which is then nothing to find.
      const fates = journal.forkFates.get(`${store.id}|${write.ref}`) ?? [];
      const promises = write.events.flatMap((promised) => {
        const matching = fates.filter(
          (f) =>
            (promised.sku === '*' || f.sku === promised.sku) &&
            (promised.type === undefined || f.type === promised.type) &&
            (promised.version === undefined || f.version === promised.version),
        );
        const fate = matching.find((f) => f.newVersion === null) ?? matching[0];
        if (!fate) return [promised];
        if (fate.newVersion === null) return [];
        return promised.version === undefined ? [promised] : [{ ...promised, version: fate.newVersion }];
      });
      for (const promised of promises) {
        const matches = (e: { sku: string; version: number; type: string }) =>
          (promised.sku === '*' || e.sku === promised.sku) &&
          (promised.version === undefined || e.version === promised.version) &&
          (promised.type === undefined || e.type === promised.type);
        if (!storeByRef.get(write.ref)?.some(matches)) {
          const found = (storeByRef.get(write.ref) ?? []).map((e) => `${e.type} ${e.sku} v${e.version}`).join(', ');
          const wanted = `${promised.type ?? 'any'} ${promised.sku} v${promised.version ?? 'any'}`;
          flag('lost', `${store.id} ${write.kind} ${write.ref}: wanted ${wanted}, the store has [${found}]`);
        } else if (!centralByRef.get(write.ref)?.some(matches))
          flag('lost', `${store.id} ${write.kind} ${write.ref} not at central`);
      }
      const events = storeByRef.get(write.ref)?.length ?? 0;
      if (MOVEMENT_KINDS.has(write.kind) && events !== promises.length) {
        flag('doubleApplied', `${store.id} ${write.kind} ${write.ref}: ${events} events for ${promises.length} lines`);
      }
    }
    for (const [sku, product] of central.products) {
      const local = store.products.get(sku);
      if (JSON.stringify(local) !== JSON.stringify(product)) {
        flag('mismatches', `${store.id} catalog ${sku} ${JSON.stringify(local)} central ${JSON.stringify(product)}`);
      }
    }
  }

  // §8.1 at central: its projection is the sum of its ledger.
  const centralSums = new Map<string, number>();
  for (const e of central.ledger)
    centralSums.set(stockKey(e.storeId, e.sku), (centralSums.get(stockKey(e.storeId, e.sku)) ?? 0) + e.delta);
  for (const [key, row] of central.stock) {
    if (row.onHand !== (centralSums.get(key) ?? 0))
      flag('ledgerErrors', `central ${key} onHand ${row.onHand} ledger ${centralSums.get(key)}`);
  }

  checkReservations(journal, stores, central, flag);
  checkTransfers(stores, central, flag);
  return { violations: v, examples, openAlerts: central.openAlerts };
}

function groupByRef<T extends { ref: string | null }>(events: readonly T[]): Map<string, T[]> {
  const byRef = new Map<string, T[]>();
  for (const e of events) {
    if (e.ref === null) continue;
    const list = byRef.get(e.ref) ?? [];
    list.push(e);
    byRef.set(e.ref, list);
  }
  return byRef;
}

type Flag = (kind: keyof Violations, message: string, amount?: number) => void;
type Known = {
  transferIds: Set<string>;
  posHoldIds: Set<string>;
  onlineHoldIds: ReadonlySet<string>;
  orderRefs: Set<string>;
  ackedRefs: Set<string>;
};

/** An event nobody asked for would be a write that bad input, a lost answer or a bug made (§8.7). */
function explained(e: StoreSnapshot['ledger'][number], store: StoreSnapshot, known: Known): boolean {
  if (e.ref === 'opening-stock') return true;
  if (e.type.startsWith('transfer.')) return e.ref !== null && known.transferIds.has(e.ref);
  if (e.type.startsWith('reservation.')) {
    if (e.ref === null) return false;
    if (known.posHoldIds.has(e.ref) || known.onlineHoldIds.has(e.ref)) return true;
    const hold = store.holds.get(e.ref);
    return hold?.source === 'central' && hold.orderRef !== null && known.orderRefs.has(hold.orderRef);
  }
  return known.ackedRefs.has(`${store.id}|${e.ref}`);
}

/** Online holds: an acknowledged one exists at its store with the same status; a refused one holds nothing. */
function checkReservations(journal: ChaosJournal, stores: StoreSnapshot[], central: CentralSnapshot, flag: Flag) {
  const holdsByOrder = new Map<string, Array<{ storeId: string; status: string }>>();
  for (const store of stores) {
    for (const hold of store.holds.values()) {
      if (hold.orderRef === null) continue;
      const list = holdsByOrder.get(hold.orderRef) ?? [];
      list.push({ storeId: store.id, status: hold.status });
      holdsByOrder.set(hold.orderRef, list);
    }
  }
  for (const order of journal.orders.values()) {
    if (order.status === 201 && order.id) {
      const atCentral = central.reservations.get(order.id);
      // With an Idempotency-Key and no storeId, a store that timed out may hold a released copy of the
      // same id: the reservation is the one at the store central recorded.
      const atStore = stores.find((s) => s.id === (atCentral?.storeId ?? order.storeId))?.holds.get(order.id);
      if (!atCentral || !atStore)
        flag('lost', `online order ${order.orderRef} (${order.id}) central ${!!atCentral} store ${!!atStore}`);
      else if (atCentral.status !== atStore.status)
        flag('mismatches', `reservation ${order.id} central ${atCentral.status} store ${atStore.status}`);
      continue;
    }
    // 409/503: nothing may stay held or be sold under this order anywhere.
    for (const { storeId, status } of holdsByOrder.get(order.orderRef) ?? []) {
      if (status === 'held' || status === 'confirmed') {
        flag('mismatches', `order ${order.orderRef} answered ${order.status} but ${storeId} has it ${status}`);
      }
    }
  }
}

/**
 * §8.5: each transfer's ledger movements match central's record, and chain-wide the units that left
 * stores by transfer are exactly those received, in transit, or recorded short.
 */
function checkTransfers(stores: StoreSnapshot[], central: CentralSnapshot, flag: Flag) {
  const transferEvents = stores.flatMap((s) => s.ledger.filter((e) => e.type.startsWith('transfer.')));
  const byRef = groupByRef(transferEvents);
  const sumOf = (ref: string, type: string) =>
    (byRef.get(ref) ?? []).filter((e) => e.type === type).reduce((sum, e) => sum + e.delta, 0);
  let balance = transferEvents.reduce((sum, e) => sum + e.delta, 0);
  for (const t of central.transfers.values()) {
    const shipped = -sumOf(t.id, 'transfer.shipped');
    const received = sumOf(t.id, 'transfer.received');
    if (t.status === 'in_transit') balance += t.shippedQty ?? 0;
    balance += central.shortfalls.get(t.id) ?? 0;
    if ((t.shippedQty ?? 0) !== shipped || (t.receivedQty ?? 0) !== received) {
      flag(
        'conservation',
        `transfer ${t.id} ${t.status}: central ${t.shippedQty}/${t.receivedQty}, ledgers ${shipped}/${received}`,
      );
    }
    for (const storeId of [t.from, t.to]) {
      const local = stores.find((s) => s.id === storeId)?.transfers.get(t.id);
      if (local?.status !== t.status)
        flag('mismatches', `transfer ${t.id} central ${t.status} ${storeId} ${local?.status}`);
    }
  }
  if (balance !== 0)
    flag('conservation', `chain-wide stock + in transit is off by ${balance} units`, Math.abs(balance));
}
