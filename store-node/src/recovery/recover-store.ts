import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { CatalogProduct } from '@stocksync/shared';
import { openStoreDatabase } from '../db/db-plugin';
import { acquireInstanceLock } from '../db/instance-lock';
import { ChainInvariantError } from '../db/repositories/ledger-repository';
import type { CentralHistoryClient, EventsPage } from './central-history-client';
import { type ForkedHistory, type ReentryConflict, readForkedHistory, reenterFork } from './fork-reentry';
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
  /**
   * On a fork: keep the forked file in `DATA_DIR/forks/`, rebuild the store from central and seal the
   * fork's movements again after central's head (fork-reentry.ts). Without it a fork is refused.
   */
  reenterFork?: boolean;
  /** With reenterFork: enter the fork's events that fit, report the others (their SKUs need a count). */
  skipMisfits?: boolean;
  progress?: (line: string) => void;
};

export type RecoveryReport = {
  storeId: string;
  /** replayed: events were taken in; up_to_date: central holds nothing newer; store_ahead: the store has events central has not yet. */
  outcome: 'replayed' | 'up_to_date' | 'store_ahead' | 'would_replay' | 'fork_reentered' | 'would_reenter_fork';
  fromSeq: number;
  toSeq: number;
  centralSeq: number;
  events: number;
  productsAdded: number;
  holds: HoldRepairReport | null;
  transfers: number | null;
  /** Set when a fork was re-entered (or would be, on a dry run). */
  fork?: {
    commonSeq: number;
    forkEvents: number;
    /** Fork events left out (--skip-misfits): count these SKUs. */
    skipped: ReentryConflict[];
    /** SKUs counted on the fork that central's history also moved: count them again. */
    recount: string[];
    archivedFile: string | null;
    mappingFile: string | null;
  };
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
        'wrote after the backup was restored. Run it again with --reenter-fork to keep both: the forked file is ' +
        "archived, the store is rebuilt from central and the fork's movements are entered again after central's " +
        'head (see docs/operations.md)',
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
    finishInterruptedSwap(opts.dataDir, opts.storeId);
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
      const commonSeq = await commonAncestor(replay, central, common - 1);
      if (!opts.reenterFork) throw new StoreForkedError(commonSeq, local.seq, centralSeq);
      const forked = readForkedHistory(opened.db, opts.storeId, commonSeq);
      sqlite.pragma('wal_checkpoint(TRUNCATE)');
      sqlite.close();
      sqlite = undefined;
      return await rebuildAroundFork(opts, forked);
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

const storeFile = (dataDir: string, storeId: string) => join(dataDir, `store-${storeId}.sqlite`);
const swapFile = (dataDir: string, storeId: string) => `${storeFile(dataDir, storeId)}.reentered`;

/**
 * A re-entry swaps files in two renames (the forked file to forks/, the rebuilt one into place). Cut
 * between them, the store file is missing and the rebuilt one waits beside it: finish the swap. Cut
 * before the first, the forked file is still in place: drop the rebuilt one, the fork is found again.
 */
function finishInterruptedSwap(dataDir: string, storeId: string): void {
  const pending = swapFile(dataDir, storeId);
  if (!existsSync(pending)) return;
  if (existsSync(storeFile(dataDir, storeId))) rmSync(pending);
  else renameSync(pending, storeFile(dataDir, storeId));
}

/** fsync of a file or a directory (on Linux a read-only descriptor is enough for both). */
function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Rebuilds the store from central beside the forked file, re-enters the fork there, then swaps the two. */
async function rebuildAroundFork(opts: RecoveryOptions, forked: ForkedHistory): Promise<RecoveryReport> {
  const say = opts.progress ?? (() => {});
  const { dataDir, storeId, central } = opts;
  say(`fork after seq ${forked.commonSeq}: ${forked.events.length} event(s) to enter again; rebuilding from central`);
  // A run cut short leaves its rebuild directory behind; the lock says none is in use.
  for (const entry of readdirSync(dataDir)) {
    if (entry.startsWith('rebuild-')) rmSync(join(dataDir, entry), { recursive: true, force: true });
  }
  const rebuildDir = join(dataDir, `rebuild-${Date.now()}`);
  try {
    const rebuilt = await recoverStore({ ...opts, dataDir: rebuildDir, reenterFork: false, dryRun: false });
    const opened = openStoreDatabase({ dataDir: rebuildDir, storeId, synchronous: 'FULL' });
    let outcome: ReturnType<typeof reenterFork>;
    try {
      opened.sqlite.pragma('synchronous = FULL');
      const replay = createHistoryReplay(opened.db, storeId);
      const products: CatalogProduct[] = [];
      for (const sku of replay.unknownSkus(forked.events)) {
        const product = await central.product(sku);
        if (product) products.push(product); // one central lacks too is reported by the re-entry
      }
      replay.addProducts(products);
      outcome = reenterFork(opened.db, storeId, forked, { skipMisfits: opts.skipMisfits ?? false });
      opened.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      opened.sqlite.close();
    }
    const known = new Set(forked.expiries.map((h) => h.id));
    const holds = rebuilt.holds && {
      ...rebuilt.holds,
      posHolds: rebuilt.holds.posHolds.filter((h) => !known.has(h.id)), // these kept the forked file's expiry
    };
    const { mapping, skipped, recount } = outcome;
    const report: RecoveryReport = {
      ...rebuilt,
      holds,
      outcome: opts.dryRun ? 'would_reenter_fork' : 'fork_reentered',
      toSeq: rebuilt.toSeq + mapping.length,
      fork: {
        commonSeq: forked.commonSeq,
        forkEvents: mapping.length,
        skipped,
        recount,
        archivedFile: null,
        mappingFile: null,
      },
    };
    if (opts.dryRun) return report;

    const forksDir = join(dataDir, 'forks');
    mkdirSync(forksDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const archivedFile = join(forksDir, `store-${storeId}-forked-after-${forked.commonSeq}-${stamp}.sqlite`);
    const mappingFile = join(forksDir, `store-${storeId}-reentered-${stamp}.json`);
    // The mapping first, durably: with the archived file it tells what became of every forked event.
    writeFileSync(
      mappingFile,
      `${JSON.stringify({ storeId, commonSeq: forked.commonSeq, archivedFile, mapping, skipped, recount }, null, 2)}\n`,
    );
    fsyncPath(mappingFile);
    const live = storeFile(dataDir, storeId);
    renameSync(storeFile(rebuildDir, storeId), swapFile(dataDir, storeId));
    for (const suffix of ['-wal', '-shm']) rmSync(`${live}${suffix}`, { force: true }); // checkpointed and empty
    renameSync(live, archivedFile);
    renameSync(swapFile(dataDir, storeId), live);
    // The renames themselves survive a power cut before the node starts (one crosses into forks/).
    fsyncPath(forksDir);
    fsyncPath(dataDir);
    return { ...report, fork: { ...report.fork!, archivedFile, mappingFile } };
  } finally {
    rmSync(rebuildDir, { recursive: true, force: true });
  }
}
