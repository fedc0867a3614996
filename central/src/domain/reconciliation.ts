import type { SkuState, StoreSkuState } from '@stocksync/shared';

/** repair: central's row is provably stale, the store's state replaces it; diverged: central is ahead of the store. */
export type FindingKind = 'repair' | 'diverged';
export type Finding = { kind: FindingKind; store: SkuState; central: SkuState | undefined };

/**
 * Judges one SKU for reconciliation (pure). `storeSeq` is the store's lastSeq when it read `store`,
 * `centralSeq` central's cursor when it read `central` (undefined: no row, i.e. untouched). A version
 * names the one state one event left (`store.seq`, when the store says which), so:
 * - same version, other values: central's row changed behind apply's back → repair;
 * - central older, though its cursor had reached the event that left the store's state (or, from a
 *   store that does not say, the store's seq): an applied event's effect is missing → repair (forward,
 *   never a regression);
 * - central newer than what the store had at a seq central had already reached: the store went back
 *   (restored from a backup, a fork) → diverged: central never regresses a version (§8.4), HQ decides;
 * - anything else is an event still on its way: nothing to judge yet.
 */
export function judgeSku(
  store: StoreSkuState,
  central: SkuState | undefined,
  storeSeq: number,
  centralSeq: number,
): Finding | null {
  const c = central ?? { sku: store.sku, onHand: 0, reserved: 0, version: 0 };
  if (sameState(store, c)) return null;
  if (c.version === store.version) return { kind: 'repair', store, central };
  if (c.version < store.version) {
    return centralSeq >= (store.seq || storeSeq) ? { kind: 'repair', store, central } : null;
  }
  return storeSeq >= centralSeq ? { kind: 'diverged', store, central } : null;
}

/** Equal (onHand, reserved, version); a missing row at central is the untouched state. */
export function sameState(store: SkuState, central: SkuState | undefined): boolean {
  const c = central ?? { sku: store.sku, onHand: 0, reserved: 0, version: 0 };
  return c.onHand === store.onHand && c.reserved === store.reserved && c.version === store.version;
}
