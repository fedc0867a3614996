import type { StockEvent } from '@stocksync/shared';
import type { Database } from '../db/database';
import { createFastApplyRepository, type FastCursorMove } from '../db/fast-apply-repository';
import type { AfterCommit, ApplyBatchInput, ApplyBatchOptions, ApplyBatchResult } from './apply-batch';
import { collapseNewest, groupByStore } from './batch-grouping';
import { recomputeIntact, walkStoreChain } from './chain-walk';
import { alertMessage, touchedStock } from './low-stock-alerts';

/**
 * The steady state in one round trip (no BEGIN, lock, write, alert statement, COMMIT): every store's new
 * events extend its cached cursor with a verified chain, nothing is stale, buffered, broken or drained,
 * and no hook other than low-stock reacts to them. The walk is then exactly the transaction path's (an
 * empty buffer, no duplicates), and stocksync_apply_fast re-checks the cursors under their row locks
 * before writing. Returns null, having written nothing, whenever the transaction path must decide.
 */
export async function tryFastApply(
  db: Database,
  input: ApplyBatchInput,
  opts: ApplyBatchOptions,
): Promise<ApplyBatchResult | null> {
  const cache = opts.cursorCache;
  if (!cache || input.events.length === 0 || (input.poison?.length ?? 0) > 0 || (input.drainStores?.length ?? 0) > 0)
    return null;
  const intact = input.intact ?? recomputeIntact;
  const cursors: FastCursorMove[] = [];
  const applied: StockEvent[] = [];
  let duplicates = 0;
  for (const [storeId, incoming] of [...groupByStore(input.events)].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const cached = cache.get(storeId);
    if (!cached) return null;
    const walk = walkStoreChain({ ...cached, incoming, buffered: [], window: opts.window, intact });
    const last = walk.applied.at(-1);
    const clean = walk.stale.length === 0 && walk.toBuffer.length === 0 && walk.breaks.length === 0 && !walk.windowFull;
    if (!clean || !last || walk.blockedAt !== null) return null;
    cursors.push({
      storeId,
      fromSeq: cached.lastSeq,
      fromHash: cached.lastHash,
      toSeq: walk.lastSeq,
      toHash: walk.lastHash,
      lastEventAt: new Date(last.occurredAt).toISOString(),
    });
    applied.push(...walk.applied);
    duplicates += walk.copies;
  }
  const hooks = opts.hooks ?? [];
  if (hooks.some((hook) => !hook.lowStock && (!hook.relevant || applied.some(hook.relevant)))) return null;
  const lowStock = hooks.filter((hook) => hook.lowStock);

  const now = new Date();
  let reply: Awaited<ReturnType<ReturnType<typeof createFastApplyRepository>['apply']>>;
  try {
    reply = await createFastApplyRepository(db).apply({
      cursors,
      events: applied,
      newest: collapseNewest(applied),
      appliedAt: now,
      touched: lowStock.length > 0 ? touchedStock(applied) : null,
    });
  } catch (err) {
    // Committed or not, the transaction path re-reads the cursors next time.
    for (const { storeId } of cursors) cache.delete(storeId);
    throw err;
  }
  if (!reply.ok) {
    for (const { storeId } of cursors) cache.delete(storeId);
    return null;
  }
  for (const c of cursors) cache.set(c.storeId, { lastSeq: c.toSeq, lastHash: c.toHash });
  const changed = reply.alerts.map(alertMessage);
  const afterCommit: AfterCommit[] = [];
  if (changed.length > 0) {
    for (const hook of lowStock) {
      const after = hook.lowStock?.(changed);
      if (after) afterCommit.push(after);
    }
  }
  for (const after of afterCommit) await Promise.resolve(after()).catch(() => undefined);
  return { applied, duplicates, buffered: 0, breaks: [], resend: [], drain: [], committedAt: new Date() };
}
