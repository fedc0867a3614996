import { sql } from 'drizzle-orm';
import { type Database, rowsOf } from '../db/database';
import { createLedgerRepository } from '../db/ledger-repository';
import { ledger, stock } from '../db/schema';
import type { StockState } from '../db/stock-repository';

/** The stock projection the ledger implies: per (store, sku), the state after its newest-version event. */
export async function projectionFromLedger(db: Database): Promise<StockState[]> {
  return createLedgerRepository(db).latestStates();
}

/**
 * Rebuilds the whole stock projection from the ledger in one transaction (DESIGN §6b): every
 * (store, sku) is set to its newest-version ledger state, rows the ledger knows nothing about are
 * removed, and per-store settings (min stock) survive. Returns the number of (store, sku) rows.
 */
export async function rebuildProjection(db: Database): Promise<number> {
  return db.transaction(async (tx) => {
    // Same lock order as apply (stores by id) so a rebuild never interleaves with a batch of one store.
    await tx.execute(sql`select store_id from stores order by store_id for update`);
    await tx.execute(sql`
      delete from ${stock} s
      where not exists (select 1 from ${ledger} l where l.store_id = s.store_id and l.sku = s.sku)`);
    const rows = await tx.execute(sql`
      insert into ${stock} (store_id, sku, on_hand, reserved, version, updated_at)
      select distinct on (store_id, sku) store_id, sku, on_hand, reserved, version, now()
      from ${ledger}
      order by store_id, sku, version desc
      on conflict (store_id, sku) do update set
        on_hand = excluded.on_hand,
        reserved = excluded.reserved,
        version = excluded.version,
        updated_at = excluded.updated_at
      returning 1`);
    return rowsOf(rows).length;
  });
}
