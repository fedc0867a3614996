import { prng } from '@stocksync/shared/testing';

/** Later operations name earlier ones by their plan number; at run time an unacknowledged one is skipped. */
export type Line = { sku: string; qty: number };
export type PosOp =
  | { kind: 'sale'; store: number; lines: Line[] }
  | { kind: 'return' | 'receipt'; store: number; lines: Line[] }
  | { kind: 'adjust'; store: number; sku: string; delta: number }
  | { kind: 'count'; store: number; sku: string; countedOnHand: number }
  | { kind: 'hold'; store: number; hold: number; sku: string; qty: number; ttlSeconds: number }
  | { kind: 'hold-end'; store: number; hold: number; action: 'confirm' | 'cancel' }
  | { kind: 'bad-input'; store: number; variant: number };
export type HqOp =
  | { kind: 'online-hold'; order: number; sku: string; qty: number; storeId?: string; ttlSeconds: number }
  | { kind: 'online-end'; order: number; action: 'confirm' | 'cancel' }
  | { kind: 'transfer'; transfer: number; sku: string; from: string; to: string; qty: number }
  | { kind: 'ship'; transfer: number }
  | { kind: 'receive'; transfer: number; shortBy: number }
  | { kind: 'transfer-cancel'; transfer: number }
  | { kind: 'catalog-create'; sku: string }
  | { kind: 'catalog-edit'; sku: string; price: string; active: boolean };
export type Fault =
  | { kind: 'kill-store'; store: number; downMs: number }
  | { kind: 'kill-central'; central: number; downMs: number }
  | { kind: 'nats-down'; downMs: number }
  | { kind: 'nats-storage-lost'; downMs: number }
  | { kind: 'redis-down'; downMs: number }
  | { kind: 'postgres-down'; downMs: number }
  | { kind: 'postgres-hang' | 'nats-hang' | 'redis-hang'; downMs: number }
  | { kind: 'cut-off'; store: number; events: number }
  | { kind: 'duplicates'; store: number; count: number }
  | { kind: 'restore-store'; store: number; afterMs: number }
  | { kind: 'fork-store'; store: number; afterMs: number; forkMs: number };
const POS_KINDS = new Set<string>(['sale', 'return', 'receipt', 'adjust', 'count', 'hold', 'hold-end', 'bad-input']);
export const isPosOp = (op: PosOp | HqOp): op is PosOp => POS_KINDS.has(op.kind);

/** Every fault kind, each injected at least once per run; the type check below keeps it complete. */
export const FAULT_KINDS = [
  'kill-store',
  'kill-central',
  'nats-down',
  'nats-storage-lost',
  'redis-down',
  'postgres-down',
  'postgres-hang',
  'nats-hang',
  'redis-hang',
  'cut-off',
  'duplicates',
  'restore-store',
  'fork-store',
] as const satisfies readonly Fault['kind'][];
type Unlisted = Exclude<Fault['kind'], (typeof FAULT_KINDS)[number]>;
const everyKindListed: Unlisted extends never ? true : Unlisted = true;
void everyKindListed;

export type Step = { n: number } & ({ op: PosOp | HqOp } | { fault: Fault });

export type PlanOptions = {
  seed: number;
  operations: number;
  stores: number;
  skus: readonly string[];
  /** One fault every this many operations, on average. */
  faultEvery: number;
  /** Events a store takes while cut off from NATS. */
  cutOffEvents: number;
};

/** The whole run as data: the same options always give the same steps (DESIGN: a failing run can be replayed). */
export function planChaos(options: PlanOptions): Step[] {
  const random = prng(options.seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pickOf = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const skus = [...options.skus];
  const storeIds = Array.from({ length: options.stores }, (_, i) => `s${i + 1}`);
  const holdsAt = storeIds.map(() => [] as number[]);
  const orders: number[] = [];
  const requested: number[] = [];
  const shipped: number[] = [];
  let holds = 0;
  let orderCount = 0;
  let transfers = 0;
  let created = 0;

  const distinctLines = (count: number, maxQty: number): Line[] => {
    const chosen = new Set<string>();
    while (chosen.size < count) chosen.add(pickOf(skus));
    return [...chosen].map((sku) => ({ sku, qty: int(1, maxQty) }));
  };

  // Every kind once before any repeats, so even a short run injects each fault.
  const unused = [...FAULT_KINDS];
  const fault = (): Fault => {
    const from = unused.length > 0 ? unused : FAULT_KINDS;
    const kind = from[Math.floor(random() * from.length)] as Fault['kind'];
    if (unused.length > 0) unused.splice(unused.indexOf(kind), 1);
    switch (kind) {
      case 'kill-store':
        return { kind, store: int(0, options.stores - 1), downMs: int(200, 2_000) };
      case 'kill-central':
        return { kind, central: int(0, 1), downMs: int(200, 2_000) };
      case 'nats-down':
      case 'nats-storage-lost':
      case 'redis-down':
      case 'postgres-down':
      case 'postgres-hang':
      case 'nats-hang':
      case 'redis-hang':
        return { kind, downMs: int(500, 3_000) };
      case 'cut-off':
        return { kind, store: int(0, options.stores - 1), events: options.cutOffEvents };
      case 'duplicates':
        return { kind, store: int(0, options.stores - 1), count: int(5, 50) };
      case 'restore-store':
        return { kind, store: int(0, options.stores - 1), afterMs: int(500, 3_000) };
      case 'fork-store':
        return { kind, store: int(0, options.stores - 1), afterMs: int(500, 3_000), forkMs: int(1_000, 3_000) };
    }
  };

  const posOp = (store: number): PosOp => {
    const roll = random();
    if (roll < 0.34) return { kind: 'sale', store, lines: distinctLines(int(1, 3), 3) };
    if (roll < 0.42) return { kind: 'return', store, lines: distinctLines(1, 2) };
    if (roll < 0.54) return { kind: 'receipt', store, lines: distinctLines(int(1, 2), 12) };
    if (roll < 0.58) return { kind: 'adjust', store, sku: pickOf(skus), delta: pickOf([-2, -1, 1, 3]) };
    if (roll < 0.61) return { kind: 'count', store, sku: pickOf(skus), countedOnHand: int(0, 40) };
    if (roll < 0.75) {
      const hold = ++holds;
      holdsAt[store]?.push(hold);
      // Short TTLs so the store's own expiry runs during the chaos, long ones so holds survive it.
      const ttlSeconds = pickOf([1, 2, 5, 30, 600]);
      return { kind: 'hold', store, hold, sku: pickOf(skus), qty: int(1, 3), ttlSeconds };
    }
    const open = holdsAt[store] ?? [];
    if (roll < 0.93 && open.length > 0) {
      const hold = open.splice(Math.floor(random() * open.length), 1)[0] as number;
      return { kind: 'hold-end', store, hold, action: random() < 0.5 ? 'confirm' : 'cancel' };
    }
    return { kind: 'bad-input', store, variant: int(0, 1_000) };
  };

  const hqOp = (): HqOp => {
    const roll = random();
    if (roll < 0.3) {
      const order = ++orderCount;
      orders.push(order);
      const storeId = random() < 0.6 ? pickOf(storeIds) : undefined;
      return {
        kind: 'online-hold',
        order,
        sku: pickOf(skus),
        qty: int(1, 2),
        ttlSeconds: pickOf([3, 10, 600]),
        storeId,
      };
    }
    if (roll < 0.42 && orders.length > 0) {
      const order = orders.splice(Math.floor(random() * orders.length), 1)[0] as number;
      return { kind: 'online-end', order, action: random() < 0.5 ? 'confirm' : 'cancel' };
    }
    if (roll < 0.62) {
      const from = pickOf(storeIds);
      const to = pickOf(storeIds.filter((s) => s !== from));
      const transfer = ++transfers;
      requested.push(transfer);
      return { kind: 'transfer', transfer, sku: pickOf(skus), from, to, qty: int(1, 6) };
    }
    if (roll < 0.77 && requested.length > 0) {
      const transfer = requested.splice(Math.floor(random() * requested.length), 1)[0] as number;
      if (random() < 0.15) return { kind: 'transfer-cancel', transfer };
      shipped.push(transfer);
      return { kind: 'ship', transfer };
    }
    if (roll < 0.9 && shipped.length > 0) {
      const transfer = shipped.splice(Math.floor(random() * shipped.length), 1)[0] as number;
      return { kind: 'receive', transfer, shortBy: random() < 0.2 ? 1 : 0 };
    }
    if (roll < 0.93) {
      const sku = `NEW-${++created}`;
      skus.push(sku);
      return { kind: 'catalog-create', sku };
    }
    return {
      kind: 'catalog-edit',
      sku: pickOf(skus),
      price: `${int(1, 99)}.${String(int(0, 99)).padStart(2, '0')}`,
      active: random() > 0.1,
    };
  };

  const steps: Step[] = [];
  for (let n = 1; n <= options.operations; n++) {
    if (random() < 1 / options.faultEvery) steps.push({ n, fault: fault() });
    steps.push({ n, op: random() < 0.8 ? posOp(int(0, options.stores - 1)) : hqOp() });
  }
  return steps;
}
