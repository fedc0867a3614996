import { DomainError, ErrorCode, type EventType, newId } from '@stocksync/shared';
import type { DiscrepancyRepository } from '../db/repositories/discrepancy-repository';
import type { LedgerRepository } from '../db/repositories/ledger-repository';
import type { StockRepository, StockRow, StockView } from '../db/repositories/stock-repository';

export type Line = { sku: string; qty: number };
export type LineResult = Pick<StockView, 'sku' | 'onHand' | 'reserved' | 'available'> & {
  qty: number;
  version: number;
};
export type MovementResult = { id: string; occurredAt: string; lines: LineResult[] };
export type AdjustmentInput = { sku: string; reason: string } & ({ delta: number } | { countedOnHand: number });
export type AdjustmentResult = LineResult & {
  id: string;
  occurredAt: string;
  delta: number;
  discrepancy: { id: string; uncoveredHolds: number } | null;
};

/** Several lines of one SKU act as one line: one availability check, one event. */
function mergeLines(lines: readonly Line[]): Line[] {
  const merged = new Map<string, number>();
  for (const { sku, qty } of lines) merged.set(sku, (merged.get(sku) ?? 0) + qty);
  return [...merged].map(([sku, qty]) => ({ sku, qty }));
}

/**
 * POS stock movements. Every function is synchronous and runs inside one write-queue job: it
 * either records all of its events or throws a DomainError and leaves nothing behind.
 */
export function createInventoryService(deps: {
  stock: StockRepository;
  ledger: LedgerRepository;
  discrepancies: DiscrepancyRepository;
  now: () => number;
}) {
  const { stock, ledger } = deps;

  function load(lines: readonly Line[], opts: { mustBeActive: boolean }): Array<{ line: Line; row: StockRow }> {
    const loaded = lines.map((line) => ({ line, row: stock.find(line.sku) }));
    const unknown = loaded.filter((l) => !l.row).map((l) => l.line.sku);
    if (unknown.length > 0) {
      throw new DomainError(ErrorCode.NOT_FOUND, `Unknown SKU: ${unknown.join(', ')}`, { skus: unknown });
    }
    const inactive = opts.mustBeActive ? loaded.filter((l) => !l.row!.active).map((l) => l.line.sku) : [];
    if (inactive.length > 0) {
      throw new DomainError(ErrorCode.CONFLICT, `Product no longer sold: ${inactive.join(', ')}`, { skus: inactive });
    }
    return loaded as Array<{ line: Line; row: StockRow }>;
  }

  function apply(type: EventType, sign: 1 | -1, lines: readonly Line[], ref: string | undefined): MovementResult {
    const id = newId();
    const merged = load(mergeLines(lines), { mustBeActive: sign < 0 });
    if (sign < 0) {
      const short = merged.filter(({ line, row }) => row.available < line.qty);
      if (short.length > 0) {
        const detail = short.map(({ line, row }) => ({ sku: line.sku, requested: line.qty, available: row.available }));
        throw new DomainError(
          ErrorCode.INSUFFICIENT_STOCK,
          `Insufficient stock for ${detail.map((d) => `${d.sku} (requested ${d.requested}, available ${d.available})`).join(', ')}`,
          { lines: detail },
        );
      }
    }
    let occurredAt = '';
    const results = merged.map(({ line, row }) => {
      const event = ledger.append(
        { type, sku: line.sku, delta: sign * line.qty, reservedDelta: 0, ref: ref ?? id },
        row,
      );
      occurredAt = event.occurredAt;
      return {
        sku: line.sku,
        qty: line.qty,
        onHand: event.onHand,
        reserved: event.reserved,
        available: event.onHand - event.reserved,
        version: event.version,
      };
    });
    return { id, occurredAt, lines: results };
  }

  return {
    sell: (lines: readonly Line[]) => apply('stock.sold', -1, lines, undefined),
    receive: (lines: readonly Line[], ref?: string) => apply('stock.received', 1, lines, ref),
    acceptReturn: (lines: readonly Line[], ref?: string) => apply('stock.returned', 1, lines, ref),

    /**
     * A count or a manual correction. It may leave holds uncovered (shrinkage): that opens a
     * discrepancy instead of silently dropping reservations.
     */
    adjust(input: AdjustmentInput): AdjustmentResult {
      const row = load([{ sku: input.sku, qty: 1 }], { mustBeActive: false })[0]!.row;
      const delta = 'delta' in input ? input.delta : input.countedOnHand - row.onHand;
      if (row.onHand + delta < 0) {
        throw new DomainError(
          ErrorCode.INSUFFICIENT_STOCK,
          `Adjustment of ${delta} would leave ${input.sku} with negative stock (on hand ${row.onHand})`,
          { lines: [{ sku: input.sku, requested: -delta, available: row.onHand }] },
        );
      }
      const id = newId();
      const event = ledger.append(
        { type: 'stock.adjusted', sku: input.sku, delta, reservedDelta: 0, ref: id, reason: input.reason },
        row,
      );
      let discrepancy: AdjustmentResult['discrepancy'] = null;
      if (event.onHand < event.reserved) {
        const uncoveredHolds = event.reserved - event.onHand;
        discrepancy = { id: newId(), uncoveredHolds };
        deps.discrepancies.insert({
          id: discrepancy.id,
          kind: 'reservations_at_risk',
          sku: input.sku,
          expected: event.reserved,
          actual: event.onHand,
          ref: id,
          createdAt: event.occurredAt,
          resolvedAt: null,
        });
      }
      return {
        id,
        occurredAt: event.occurredAt,
        sku: input.sku,
        qty: Math.abs(delta),
        delta,
        onHand: event.onHand,
        reserved: event.reserved,
        available: event.onHand - event.reserved,
        version: event.version,
        discrepancy,
      };
    },
  };
}
export type InventoryService = ReturnType<typeof createInventoryService>;
