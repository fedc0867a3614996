import type { StockEvent } from '@stocksync/shared';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/database';
import type { ApplyHook } from './apply-batch';

const CLOSING: Partial<Record<StockEvent['type'], 'confirmed' | 'released' | 'expired'>> = {
  'reservation.confirmed': 'confirmed',
  'reservation.released': 'released',
  'reservation.expired': 'expired',
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Store → central: a hold's end at the store (confirmed, released, or expired by the store's own TTL
 * sweeper, offline too) moves central's row out of `held`. Only `held` rows change, and only for the
 * store that holds them, so late or foreign events (POS holds have no central row) are no-ops.
 */
const closes = (e: StockEvent) => CLOSING[e.type] !== undefined && e.ref !== undefined && UUID.test(e.ref);

export const reservationApplyHook: ApplyHook = Object.assign(
  async (tx: Database, applied: readonly StockEvent[]) => {
    const changes = applied.flatMap((e) => {
      const status = CLOSING[e.type];
      return status && e.ref && UUID.test(e.ref) ? [{ id: e.ref, storeId: e.storeId, status }] : [];
    });
    if (changes.length === 0) return undefined;
    await tx.execute(sql`
    update reservations r set status = c.status, updated_at = now()
    from json_to_recordset(${JSON.stringify(changes)}::json) as c(id uuid, "storeId" text, status text)
    where r.id = c.id and r.store_id = c."storeId" and r.status = 'held'`);
    return undefined;
  },
  { relevant: closes },
);
