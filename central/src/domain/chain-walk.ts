import { eventHash, type StockEvent, verifyChain } from '@stocksync/shared';

export type WalkBreakReason = 'hash-mismatch' | 'prev-hash-mismatch' | 'fork';
export type WalkBreak = { event: StockEvent; reason: WalkBreakReason; detail: string };

export type StoreWalkInput = {
  lastSeq: number;
  lastHash: string;
  /** Events of this store from the current batch, in any order, duplicates allowed. */
  incoming: readonly StockEvent[];
  /** Buffered events of this store with seq in (lastSeq, lastSeq + window]. */
  buffered: readonly StockEvent[];
  /** How far the cursor may move in one transaction (bounds its size). */
  window: number;
  /** Content-hash verdict computed earlier (off the transaction's critical path); recomputed if absent. */
  intact?: (event: StockEvent) => boolean;
};

export type StoreWalkResult = {
  /** Verified events, contiguous from the old lastSeq + 1, in seq order. */
  applied: StockEvent[];
  lastSeq: number;
  lastHash: string;
  /** Incoming events ahead of the new cursor: keep them until the gap closes. */
  toBuffer: StockEvent[];
  /** Incoming events at or below the old cursor: duplicates to check against the ledger. */
  stale: StockEvent[];
  /** Identical copies of an event applied in this same walk. */
  copies: number;
  breaks: WalkBreak[];
  /** Buffered seqs to delete: applied, or proven bad (the break record keeps the payload). */
  dropBuffered: number[];
  /** The seq at the cursor for which every candidate failed verification: the chain is blocked. */
  blockedAt: number | null;
  /** Lowest seq known beyond the new cursor (incoming or buffered); a gap when > lastSeq + 1. */
  nextAhead: number | null;
  /** Stopped by the window: more buffered events may be applicable right away. */
  windowFull: boolean;
};

type Candidate = { event: StockEvent; buffered: boolean };

export const recomputeIntact = (event: StockEvent) => eventHash(event) === event.hash;

/** verifyChain for one event; with a content-hash verdict at hand, the same checks in the same order. */
function failureOf(event: StockEvent, prevHash: string, intact?: (e: StockEvent) => boolean) {
  if (!intact) return verifyChain([event], prevHash, event.seq - 1)?.reason ?? null;
  if (event.prevHash !== prevHash) return 'prev-hash-mismatch';
  return intact(event) ? null : 'hash-mismatch';
}

function chainFailure(event: StockEvent, prevHash: string, intact?: (e: StockEvent) => boolean): WalkBreak | null {
  const failure = failureOf(event, prevHash, intact);
  if (!failure) return null;
  const reason = failure === 'prev-hash-mismatch' ? 'prev-hash-mismatch' : 'hash-mismatch';
  const detail =
    reason === 'prev-hash-mismatch'
      ? `prevHash ${event.prevHash} does not link to ${prevHash}`
      : 'event content does not match its hash';
  return { event, reason, detail };
}

/** A second candidate for a seq already applied in this walk: an exact copy, a tampered copy or a fork. */
function classifyCopy(
  event: StockEvent,
  applied: StockEvent,
  prevHash: string,
  intact: (e: StockEvent) => boolean,
): WalkBreak | null {
  if (event.hash === applied.hash) {
    return intact(event)
      ? null
      : { event, reason: 'hash-mismatch', detail: 'copy of an applied event with altered content' };
  }
  return (
    chainFailure(event, prevHash, intact) ?? {
      event,
      reason: 'fork',
      detail: `valid event ${event.hash} competes with applied ${applied.hash}`,
    }
  );
}

/**
 * Pure core of central apply for one store (DESIGN §5, §6b): merge the batch with the store's buffered
 * events, walk forward from the cursor by seq, apply only events whose hash chain links to the last
 * applied hash, and stop at the first gap or at a seq whose every candidate fails verification.
 */
export function walkStoreChain(input: StoreWalkInput): StoreWalkResult {
  const bySeq = new Map<number, Candidate[]>();
  const add = (event: StockEvent, buffered: boolean) => {
    const list = bySeq.get(event.seq);
    if (list) list.push({ event, buffered });
    else bySeq.set(event.seq, [{ event, buffered }]);
  };
  const stale: StockEvent[] = [];
  for (const event of input.buffered) if (event.seq > input.lastSeq) add(event, true);
  for (const event of input.incoming) {
    if (event.seq <= input.lastSeq) stale.push(event);
    else add(event, false);
  }

  const applied: StockEvent[] = [];
  const breaks: WalkBreak[] = [];
  const dropBuffered = new Set<number>();
  let copies = 0;
  let lastSeq = input.lastSeq;
  let lastHash = input.lastHash;
  let blockedAt: number | null = null;
  const limit = input.lastSeq + input.window;
  const intact = input.intact ?? recomputeIntact;

  while (lastSeq < limit) {
    const seq = lastSeq + 1;
    const candidates = bySeq.get(seq);
    if (!candidates) break;
    bySeq.delete(seq);
    let chosen: StockEvent | null = null;
    for (const candidate of candidates) {
      if (candidate.buffered) dropBuffered.add(seq);
      if (chosen) {
        const found = classifyCopy(candidate.event, chosen, lastHash, intact);
        if (found) breaks.push(found);
        else if (!candidate.buffered) copies++;
        continue;
      }
      const failure = chainFailure(candidate.event, lastHash, input.intact);
      if (failure) breaks.push(failure);
      else chosen = candidate.event;
    }
    if (!chosen) {
      blockedAt = seq;
      break;
    }
    applied.push(chosen);
    lastSeq = seq;
    lastHash = chosen.hash;
  }

  const toBuffer: StockEvent[] = [];
  let nextAhead: number | null = null;
  for (const [seq, candidates] of bySeq) {
    if (nextAhead === null || seq < nextAhead) nextAhead = seq;
    if (candidates.some((c) => c.buffered)) continue;
    // Several incoming copies of a future seq: keep one whose content matches its hash, if any.
    const intact =
      candidates.length === 1
        ? candidates[0]
        : (candidates.find((c) => eventHash(c.event) === c.event.hash) ?? candidates[0]);
    if (intact) toBuffer.push(intact.event);
  }
  toBuffer.sort((a, b) => a.seq - b.seq);

  return {
    applied,
    lastSeq,
    lastHash,
    toBuffer,
    stale,
    copies,
    breaks,
    dropBuffered: [...dropBuffered],
    blockedAt,
    nextAhead,
    windowFull: blockedAt === null && lastSeq >= limit,
  };
}
