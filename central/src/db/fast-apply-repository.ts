import type { StockEvent } from '@stocksync/shared';
import { sql } from 'drizzle-orm';
import { type Database, rowsOf } from './database';
import type { StockState } from './stock-repository';

/** One store's cursor move: applied only if the row is still at (fromSeq, fromHash), chain ok, nothing buffered. */
export type FastCursorMove = {
  storeId: string;
  fromSeq: number;
  fromHash: string;
  toSeq: number;
  toHash: string;
  lastEventAt: string;
};

export type FastApplyInput = {
  cursors: readonly FastCursorMove[];
  events: readonly StockEvent[];
  newest: readonly StockState[];
  appliedAt: Date;
  /** The low-stock input (see touchedStock); null skips the evaluation. */
  touched: readonly unknown[] | null;
};

/** Alert rows as the low-stock function returns them (json_agg of its rows). */
export type ChangedAlertRow = {
  id: number;
  store_id: string;
  sku: string;
  status: 'open' | 'resolved';
  available: number;
  min_stock: number;
  opened_at: string;
  resolved_at: string | null;
};

type FastApplyReply = { ok: boolean; alerts?: ChangedAlertRow[] };

/** The one-statement apply of migration 0003 (stocksync_apply_fast); all JSON parameters. */
export function createFastApplyRepository(db: Database) {
  return {
    /** `ok: false` means a cursor moved (another replica, a break, a buffer) and nothing was written. */
    async apply(input: FastApplyInput): Promise<{ ok: boolean; alerts: ChangedAlertRow[] }> {
      const touched = input.touched === null ? null : JSON.stringify(input.touched);
      const result = await db.execute(sql`select stocksync_apply_fast(
        ${JSON.stringify(input.cursors)}::json, ${JSON.stringify(input.events)}::json,
        ${JSON.stringify(input.newest)}::json, ${input.appliedAt.toISOString()}::timestamptz,
        ${touched}::json) as r`);
      const raw = rowsOf<{ r: FastApplyReply | string }>(result)[0]?.r;
      const reply: FastApplyReply =
        typeof raw === 'string' ? (JSON.parse(raw) as FastApplyReply) : (raw ?? { ok: false });
      return { ok: reply.ok === true, alerts: reply.alerts ?? [] };
    },
  };
}
export type FastApplyRepository = ReturnType<typeof createFastApplyRepository>;
