import { setImmediate as nextTurn } from 'node:timers/promises';
import { createStateHasher, type StoreSkuState, type StoreStateReply } from '@stocksync/shared';
import Database from 'better-sqlite3';

/** SKU states hashed per event-loop turn: a few ms, so POS writes interleave with a whole-table summary. */
const SUMMARY_CHUNK = 500;

/**
 * Reads the store's state for reconciliation on a read-only connection of its own. Each answer is one
 * WAL snapshot (a read transaction: lastSeq and the states describe the same moment) without holding
 * the POS thread: the summary walks the table in chunks and yields between them while the snapshot
 * stays open; the write connection commits meanwhile, unseen by it. One read at a time.
 */
export function createStateReader(file: string, opts: { summaryChunk?: number } = {}) {
  const chunkSize = opts.summaryChunk ?? SUMMARY_CHUNK;
  const sqlite = new Database(file, { readonly: true, fileMustExist: true });
  const begin = sqlite.prepare('BEGIN');
  const commit = sqlite.prepare('COMMIT');
  const lastSeq = sqlite.prepare<[], number>('SELECT coalesce(max(seq), 0) FROM ledger').pluck();
  const statesAfter = sqlite.prepare<[string, number], StoreSkuState>(
    'SELECT sku, on_hand AS onHand, reserved, version, last_seq AS seq FROM stock WHERE sku > ? ORDER BY sku LIMIT ?',
  );
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  /** Runs `read` inside one read transaction, after the reads before it. */
  function inSnapshot<T>(read: () => Promise<T> | T): Promise<T> {
    const run = queue.then(async () => {
      if (closed) throw new Error('state reader closed');
      begin.run();
      try {
        return await read();
      } finally {
        commit.run();
      }
    });
    queue = run.catch(() => undefined);
    return run;
  }

  return {
    summary(): Promise<StoreStateReply> {
      return inSnapshot(async () => {
        const seq = lastSeq.get() ?? 0;
        const hasher = createStateHasher();
        let after = '';
        for (;;) {
          const chunk = statesAfter.all(after, chunkSize);
          for (const state of chunk) hasher.add(state);
          if (chunk.length < chunkSize) break;
          after = chunk[chunk.length - 1]?.sku ?? after;
          await nextTurn();
        }
        return { lastSeq: seq, ...hasher.result(), stock: [], nextAfterSku: null };
      });
    },

    page(afterSku: string | undefined, limit: number): Promise<StoreStateReply> {
      return inSnapshot(() => {
        const seq = lastSeq.get() ?? 0;
        const rows = statesAfter.all(afterSku ?? '', limit + 1);
        const stock = rows.slice(0, limit);
        return { lastSeq: seq, stock, nextAfterSku: rows.length > limit ? (stock.at(-1)?.sku ?? null) : null };
      });
    },

    async close(): Promise<void> {
      closed = true;
      await queue;
      sqlite.close();
    },
  };
}
export type StateReader = ReturnType<typeof createStateReader>;
