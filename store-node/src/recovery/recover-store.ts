import type { CatalogProduct } from '@stocksync/shared';
import { openStoreDatabase } from '../db/db-plugin';
import { acquireInstanceLock } from '../db/instance-lock';
import { ChainInvariantError } from '../db/repositories/ledger-repository';
import type { CentralHistoryClient, EventsPage } from './central-history-client';
import { createHistoryReplay, HistoryMismatchError, type HistoryReplay } from './history-replay';
import { createViewRepair, type HoldRepairReport } from './view-repair';

export type RecoveryOptions = {
  dataDir: string;
  storeId: string;
  central: CentralHistoryClient;
  /** How long a POS hold made after the backup stays held, counted from when it was made. */
  posHoldHours: number;
  pageSize?: number;
  /** Check and count only; write nothing. */
  dryRun?: boolean;
  progress?: (line: string) => void;
};

export type RecoveryReport = {
  storeId: string;
  /** replayed: events were taken in; up_to_date: central holds nothing newer; store_ahead: the store has events central has not yet. */
  outcome: 'replayed' | 'up_to_date' | 'store_ahead' | 'would_replay';
  fromSeq: number;
  toSeq: number;
  centralSeq: number;
  events: number;
  productsAdded: number;
  holds: HoldRepairReport | null;
  transfers: number | null;
};

/** The store's chain and central's part ways: it wrote events after the backup that central never saw, or the reverse. */
export class StoreForkedError extends Error {
  override name = 'StoreForkedError';
  constructor(
    readonly commonSeq: number,
    readonly storeSeq: number,
    readonly centralSeq: number,
  ) {
    super(
      `the store's chain and central's copy part after seq ${commonSeq}: the store has ${storeSeq - commonSeq} event(s) ` +
        `central does not, central has ${centralSeq - commonSeq} the store does not. Nothing was changed: this store ` +
        'wrote after the backup was restored, so replaying would rewrite sales it answered (see docs/operations.md)',
    );
  }
}

export class RecoveryRefusedError extends Error {
  override name = 'RecoveryRefusedError';
}

/** Largest seq at which both chains hold the same hash (equal there means equal before: it is a chain). */
async function commonAncestor(replay: HistoryReplay, central: CentralHistoryClient, upTo: number): Promise<number> {
  let lo = 0;
  let hi = upTo;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const theirs = await central.eventAt(mid);
    if (theirs && theirs.hash === replay.localHashAt(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Brings a store restored from an old backup up to what central holds of it, before the node
 * starts again (docs/operations.md "A store"). Runs with the node stopped (the instance lock
 * refuses otherwise). Events the store sealed but never published are gone with the disk; idempotency
 * records of requests answered after the backup are not in any event and are lost too.
 */
export async function recoverStore(opts: RecoveryOptions): Promise<RecoveryReport> {
  const say = opts.progress ?? (() => {});
  const lock = acquireInstanceLock(opts.dataDir, opts.storeId);
  let sqlite: ReturnType<typeof openStoreDatabase>['sqlite'] | undefined;
  try {
    const opened = openStoreDatabase({ dataDir: opts.dataDir, storeId: opts.storeId, synchronous: 'FULL' });
    sqlite = opened.sqlite;
    // No write queue fsyncs the WAL here: let SQLite do it at every commit.
    sqlite.pragma('synchronous = FULL');
    const replay = createHistoryReplay(opened.db, opts.storeId);
    const { central } = opts;

    const centralSeq = await central.cursor();
    if (centralSeq === null) throw new RecoveryRefusedError(`central does not know store ${opts.storeId}`);
    const local = replay.head();
    const common = Math.min(local.seq, centralSeq);
    if (common > 0 && (await central.eventAt(common))?.hash !== replay.localHashAt(common)) {
      throw new StoreForkedError(await commonAncestor(replay, central, common - 1), local.seq, centralSeq);
    }
    const fromSeq = replay.startedAt() ?? local.seq;
    const report: RecoveryReport = {
      storeId: opts.storeId,
      outcome: local.seq > centralSeq ? 'store_ahead' : 'up_to_date',
      fromSeq,
      toSeq: local.seq,
      centralSeq,
      events: 0,
      productsAdded: 0,
      holds: null,
      transfers: null,
    };
    if (local.seq >= centralSeq && fromSeq === local.seq) return report;
    if (opts.dryRun) return { ...report, outcome: 'would_replay', toSeq: centralSeq, events: centralSeq - local.seq };

    replay.markStart(fromSeq);
    say(`store ${opts.storeId}: at seq ${local.seq}, central holds up to ${centralSeq}`);
    const pageSize = opts.pageSize ?? 1000;
    // The next page is asked for before this one is written: central reads and serializes it while
    // this process hashes and commits (measured: fetching was 60 % of a rebuild, writing 40 %).
    let next: Promise<EventsPage> | null = central.eventsAfter(local.seq, pageSize);
    while (next) {
      const page: EventsPage = await next;
      const last = page.items.at(-1);
      if (!last) break;
      next = page.nextAfterSeq === null ? null : central.eventsAfter(last.seq, pageSize);
      next?.catch(() => undefined); // awaited on the next turn; a failure then must not be "unhandled" now
      const products: CatalogProduct[] = [];
      for (const sku of replay.unknownSkus(page.items)) {
        const product = await central.product(sku);
        if (!product) throw new RecoveryRefusedError(`central has events of ${sku} but no such product`);
        products.push(product);
      }
      replay.applyPage(page.items, products);
      report.events += page.items.length;
      report.productsAdded += products.length;
      say(`replayed up to seq ${last.seq}`);
    }
    const views = createViewRepair(opened.db, central, opts.storeId);
    report.holds = await views.repairHolds(fromSeq, opts.posHoldHours);
    report.transfers = await views.repairTransfers();
    replay.markDone();
    report.toSeq = replay.head().seq;
    report.outcome = 'replayed';
    return report;
  } catch (error) {
    if (error instanceof HistoryMismatchError || error instanceof ChainInvariantError) {
      throw new RecoveryRefusedError(`central's copy does not continue this store: ${error.message}`);
    }
    throw error;
  } finally {
    sqlite?.close();
    lock.release();
  }
}
