import { type CatalogProduct, GENESIS_HASH, type StockEvent, verifyChain } from '@stocksync/shared';
import type { StoreDb } from '../db/db-plugin';
import { createLedgerRepository } from '../db/repositories/ledger-repository';
import { createOutboxRepository } from '../db/repositories/outbox-repository';
import { createProductRepository } from '../db/repositories/product-repository';

const RECOVERY_FROM = 'recovery_from_seq';

export class HistoryMismatchError extends Error {
  override name = 'HistoryMismatchError';
}

/**
 * Writes central's copy of this store's events into the store's SQLite, one page per transaction:
 * a crash leaves a shorter but whole chain, and running the recovery again continues from its head.
 * `recovery_from_seq` remembers where the first run started, so the holds and transfers of every
 * replayed event are repaired even when the replay itself finished in an earlier run.
 */
export function createHistoryReplay(db: StoreDb, storeId: string) {
  const sqlite = db.$client;
  const ledger = createLedgerRepository(db, storeId, Date.now);
  const products = createProductRepository(db);
  const outbox = createOutboxRepository(db);
  const stockRow = sqlite.prepare<[string], { onHand: number; reserved: number; version: number }>(
    'SELECT on_hand AS onHand, reserved, version FROM stock WHERE sku = ?',
  );
  const marker = sqlite.prepare<[string], { value: number }>('SELECT value FROM sync_state WHERE key = ?');
  const setMarker = sqlite.prepare<[string, number]>(
    'INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const clearMarker = sqlite.prepare<[string]>('DELETE FROM sync_state WHERE key = ?');
  /** Products central has that the store lacks, with their stock rows (one transaction, or the caller's). */
  const addProducts = sqlite.transaction((newProducts: readonly CatalogProduct[]) => {
    for (const { updatedAt, ...product } of newProducts) products.upsert([product], updatedAt);
  });

  return {
    head: ledger.head,
    localHashAt: (seq: number): string | undefined => (seq === 0 ? GENESIS_HASH : ledger.range(seq, seq, 1)[0]?.hash),
    /** Where an unfinished recovery started, if one did. */
    startedAt: (): number | undefined => marker.get(RECOVERY_FROM)?.value,
    markStart: (seq: number) => setMarker.run(RECOVERY_FROM, seq),
    markDone: () => clearMarker.run(RECOVERY_FROM),
    addProducts: (newProducts: readonly CatalogProduct[]) => addProducts(newProducts),

    /** SKUs of these events the store has no row for (products created at central after the backup). */
    unknownSkus: (events: readonly StockEvent[]): string[] =>
      [...new Set(events.map((e) => e.sku))].filter((sku) => stockRow.get(sku) === undefined),

    /**
     * One page in one transaction: the products it needs, every event (stock row and ledger row), and
     * the publish cursor past them, since central already holds them.
     */
    applyPage(events: readonly StockEvent[], newProducts: readonly CatalogProduct[]): void {
      const head = ledger.head();
      const broken = verifyChain(events, head.hash, head.seq);
      if (broken) {
        throw new HistoryMismatchError(`central's copy breaks the chain at seq ${broken.seq} (${broken.reason})`);
      }
      const foreign = events.find((e) => e.storeId !== storeId);
      if (foreign) throw new HistoryMismatchError(`event ${foreign.seq} belongs to store ${foreign.storeId}`);
      const snapshot = ledger.chain.snapshot();
      try {
        sqlite.transaction(() => {
          addProducts(newProducts);
          for (const event of events) {
            const row = stockRow.get(event.sku);
            if (!row) throw new HistoryMismatchError(`event ${event.seq}: product ${event.sku} is unknown`);
            ledger.adopt(event, row);
          }
          const last = events.at(-1);
          if (last) outbox.markSentUpTo(last.seq);
        })();
      } catch (error) {
        ledger.chain.restore(snapshot);
        throw error;
      }
    },
  };
}
export type HistoryReplay = ReturnType<typeof createHistoryReplay>;
