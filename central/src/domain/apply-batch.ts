import type { AlertMessage, StockEvent } from '@stocksync/shared';
import { createChainBreaksRepository, type NewChainBreak } from '../db/chain-breaks-repository';
import { type Database, executeTogether } from '../db/database';
import { createEventBufferRepository } from '../db/event-buffer-repository';
import { createLedgerRepository, type LedgerRepository, ledgerInsertStatement } from '../db/ledger-repository';
import type { BreakReason } from '../db/schema';
import { stockUpsertStatement } from '../db/stock-repository';
import { type CursorAdvance, createStoresRepository, cursorAdvanceStatement } from '../db/stores-repository';
import { tryFastApply } from './apply-fast-path';
import { collapseNewest, groupByStore } from './batch-grouping';
import { recomputeIntact, type WalkBreak, walkStoreChain } from './chain-walk';

export { collapseNewest } from './batch-grouping';

/** A message that is not a usable event: recorded as a break and acknowledged so it never blocks the stream. */
export type PoisonMessage = {
  storeId: string;
  reason: Extract<BreakReason, 'invalid-payload' | 'subject-mismatch'>;
  detail: string;
  payload: unknown;
  seq: number | null;
  eventId: string | null;
  eventHash: string | null;
};

export type ApplyBatchInput = {
  events: readonly StockEvent[];
  poison?: readonly PoisonMessage[];
  /** Stores whose buffered events should be walked even without new events. */
  drainStores?: readonly string[];
  /** eventHash(e) === e.hash, possibly from a cache filled on receipt (see ApplyConsumer); must answer for any event. */
  intact?: (event: StockEvent) => boolean;
};

/** Ask the store to publish [fromSeq, toSeq] again (toSeq open when unknown). */
export type ResendNeed = { storeId: string; fromSeq: number; toSeq?: number };

export type ApplyBatchResult = {
  applied: StockEvent[];
  duplicates: number;
  buffered: number;
  breaks: { storeId: string; reason: BreakReason }[];
  resend: ResendNeed[];
  drain: string[];
  committedAt: Date;
};

/**
 * Reacts to newly applied events inside the apply transaction (transfers, reservations, alerts):
 * their effects commit or roll back with the events, and a redelivered duplicate never reaches it.
 * Returns work to do after the commit (publishing, SSE), which runs only if the commit succeeded.
 */
export type ApplyHook = {
  (tx: Database, applied: readonly StockEvent[]): Promise<AfterCommit | undefined>;
  /** The only events it reacts to: a batch with none of them may skip it (and take the fast path). */
  relevant?: (event: StockEvent) => boolean;
  /** It is the low-stock evaluation, which the fast path runs in its one statement; receives what changed. */
  lowStock?: (changed: AlertMessage[]) => AfterCommit | undefined;
};
export type AfterCommit = () => void | Promise<void>;

/** Cursors this process last saw committed (seq, hash; chain ok, nothing buffered): the fast path's guess. */
export type CursorCache = Map<string, { lastSeq: number; lastHash: string }>;

export type ApplyBatchOptions = {
  hooks?: readonly ApplyHook[];
  /** Max seq advance per store per transaction; buffered events beyond it are drained by the next one. */
  window: number;
  /** Store ids known to have a cursor row (a process-local cache); others are created first. */
  knownStores?: Set<string>;
  /** Enables the one-statement fast path (apply-fast-path.ts); kept up to date by both paths. */
  cursorCache?: CursorCache;
};

function breakRow(storeId: string, found: WalkBreak): NewChainBreak {
  const { event, reason, detail } = found;
  return { storeId, seq: event.seq, reason, eventId: event.id, eventHash: event.hash, detail, payload: event };
}

/** Late copies of applied seqs: plain duplicates unless their content or hash disagrees with the ledger. */
async function checkStale(
  ledgerRepo: LedgerRepository,
  storeId: string,
  stale: readonly StockEvent[],
  intact: (event: StockEvent) => boolean,
) {
  const breaks: NewChainBreak[] = [];
  let duplicates = 0;
  if (stale.length === 0) return { breaks, duplicates };
  const applied = await ledgerRepo.hashesAt(storeId, [...new Set(stale.map((e) => e.seq))]);
  for (const event of stale) {
    const known = applied.get(event.seq);
    if (!intact(event)) {
      breaks.push(breakRow(storeId, { event, reason: 'hash-mismatch', detail: 'late copy with altered content' }));
    } else if (known !== undefined && known !== event.hash) {
      breaks.push(breakRow(storeId, { event, reason: 'fork', detail: `seq already applied with hash ${known}` }));
    } else {
      duplicates++;
    }
  }
  return { breaks, duplicates };
}

/**
 * Applies one batch in ONE transaction (DESIGN §5): lock the involved stores' cursors in id order, walk
 * each store's chain, then write ledger rows (event id unique), compare-and-set stock rows and the
 * advanced cursors in one statement; buffered events and chain breaks when there are any.
 * Exactly-once effect = event id + seq cursor. The steady state skips all this: see tryFastApply.
 */
export async function applyBatch(
  db: Database,
  input: ApplyBatchInput,
  opts: ApplyBatchOptions,
): Promise<ApplyBatchResult> {
  const fast = await tryFastApply(db, input, opts);
  if (fast) return fast;
  const byStore = groupByStore(input.events);
  const storeIds = [...new Set([...byStore.keys(), ...(input.drainStores ?? [])])].sort();
  const intact = input.intact ?? recomputeIntact;

  // Cursor rows are created outside the apply transaction (autocommit, id order): the transaction
  // then only ever takes row locks in id order, so replicas cannot deadlock on a new store.
  const unknown = opts.knownStores ? storeIds.filter((id) => !opts.knownStores?.has(id)) : storeIds;
  if (unknown.length > 0) {
    await createStoresRepository(db).ensure(unknown);
    for (const id of unknown) opts.knownStores?.add(id);
  }

  const cache = opts.cursorCache;
  for (const id of storeIds) cache?.delete(id);
  const outcome = await db.transaction(async (tx) => {
    const ledgerRepo = createLedgerRepository(tx);
    const bufferRepo = createEventBufferRepository(tx);
    const cursors = await createStoresRepository(tx).lockForUpdate(storeIds);
    if (cursors.length !== storeIds.length) {
      // A cached store row vanished: never drop its events; fail, forget the cache, and retry.
      for (const id of storeIds) opts.knownStores?.delete(id);
      throw new Error('store cursor row missing; batch will be retried');
    }
    const drainSet = new Set(input.drainStores ?? []);
    const withBuffer = cursors.filter((c) => c.bufferedEvents > 0 || drainSet.has(c.storeId)).map((c) => c.storeId);
    const bufferedByStore = groupByStore(await bufferRepo.loadWindow(withBuffer, opts.window));

    const applied: StockEvent[] = [];
    const toBuffer: StockEvent[] = [];
    const breaks: NewChainBreak[] = (input.poison ?? []).map((p) => ({ ...p }));
    const advances: Omit<CursorAdvance, 'appliedAt'>[] = [];
    const resend: ResendNeed[] = [];
    const drain: string[] = [];
    const cacheable: { storeId: string; lastSeq: number; lastHash: string }[] = [];
    let duplicates = 0;

    for (const cursor of cursors) {
      const { storeId } = cursor;
      const walk = walkStoreChain({
        lastSeq: cursor.lastSeq,
        lastHash: cursor.lastHash,
        incoming: byStore.get(storeId) ?? [],
        buffered: bufferedByStore.get(storeId) ?? [],
        window: opts.window,
        intact,
      });
      const stale = await checkStale(ledgerRepo, storeId, walk.stale, intact);
      duplicates += walk.copies + stale.duplicates;
      breaks.push(...walk.breaks.map((b) => breakRow(storeId, b)), ...stale.breaks);
      applied.push(...walk.applied);
      toBuffer.push(...walk.toBuffer);
      await bufferRepo.deleteSeqs(storeId, walk.dropBuffered);

      const chainStatus = walk.blockedAt !== null ? 'broken' : walk.applied.length > 0 ? 'ok' : cursor.chainStatus;
      const last = walk.applied.at(-1);
      advances.push({
        storeId,
        lastSeq: walk.lastSeq,
        lastHash: walk.lastHash,
        lastEventAt: last ? new Date(last.occurredAt) : null,
        chainStatus,
        recountBuffer: withBuffer.includes(storeId) || walk.toBuffer.length > 0,
      });
      const gapAhead = walk.nextAhead !== null && walk.nextAhead > walk.lastSeq + 1;
      if (walk.blockedAt !== null || gapAhead) {
        const need: ResendNeed = { storeId, fromSeq: walk.lastSeq + 1 };
        if (walk.nextAhead !== null) need.toSeq = walk.nextAhead - 1;
        resend.push(need);
      }
      if (walk.windowFull) drain.push(storeId);
      if (chainStatus === 'ok' && cursor.bufferedEvents === 0 && walk.toBuffer.length === 0)
        cacheable.push({ storeId, lastSeq: walk.lastSeq, lastHash: walk.lastHash });
    }

    const now = new Date();
    await bufferRepo.insertMany(toBuffer, now);
    const recorded = await createChainBreaksRepository(tx).insertMany(breaks);
    const appliedAt = new Date();
    const before = new Map(cursors.map((c) => [c.storeId, c]));
    const changed = advances
      .filter((a) => {
        const old = before.get(a.storeId);
        return a.recountBuffer || old?.lastSeq !== a.lastSeq || old.chainStatus !== a.chainStatus;
      })
      .map((a) => ({ ...a, appliedAt }));
    await executeTogether(tx, [
      ledgerInsertStatement(applied),
      stockUpsertStatement(collapseNewest(applied), now),
      cursorAdvanceStatement(changed),
    ]);
    const afterCommit: AfterCommit[] = [];
    if (applied.length > 0) {
      for (const hook of opts.hooks ?? []) {
        const after = await hook(tx, applied);
        if (after) afterCommit.push(after);
      }
    }
    return { applied, duplicates, buffered: toBuffer.length, breaks: recorded, resend, drain, afterCommit, cacheable };
  });
  const { afterCommit, cacheable, ...result } = outcome;
  for (const { storeId, ...cursor } of cacheable) cache?.set(storeId, cursor);
  for (const after of afterCommit) await Promise.resolve(after()).catch(() => undefined);
  return { ...result, committedAt: new Date() };
}
