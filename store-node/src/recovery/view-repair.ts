import type { StoreDb } from '../db/db-plugin';
import { createReservationRepository, type ReservationStatus } from '../db/repositories/reservation-repository';
import { createTransferRepository, type TransferRecord } from '../db/repositories/transfer-repository';
import type { CentralHistoryClient } from './central-history-client';

type LedgerRef = { type: string; sku: string; reservedDelta: number; occurredAt: string; ref: string | null };

/** What the replayed events say of one hold: made (with its quantity) in the range or before it, and its last status. */
export type HoldTrail = {
  id: string;
  sku: string;
  qty: number | null;
  heldAt: string | null;
  status: ReservationStatus;
  at: string;
};

const CLOSED: Record<string, ReservationStatus> = {
  'reservation.confirmed': 'confirmed',
  'reservation.released': 'released',
  'reservation.expired': 'expired',
};

/** Folds reservation events (in seq order) into each hold's trail. */
export function holdTrails(rows: readonly LedgerRef[]): Map<string, HoldTrail> {
  const trails = new Map<string, HoldTrail>();
  for (const row of rows) {
    if (!row.ref) continue;
    if (row.type === 'reservation.held') {
      trails.set(row.ref, {
        id: row.ref,
        sku: row.sku,
        qty: row.reservedDelta,
        heldAt: row.occurredAt,
        status: 'held',
        at: row.occurredAt,
      });
      continue;
    }
    const status = CLOSED[row.type];
    if (!status) continue;
    const trail = trails.get(row.ref);
    trails.set(
      row.ref,
      trail
        ? { ...trail, status, at: row.occurredAt }
        : { id: row.ref, sku: row.sku, qty: null, heldAt: null, status, at: row.occurredAt },
    );
  }
  return trails;
}

export type HoldRepairReport = {
  restored: number;
  fromCentral: number;
  fromPos: number;
  closed: number;
  posHolds: Array<{ id: string; sku: string; qty: number; expiresAt: string }>;
};

/**
 * Holds and transfer views are not in the events' stock fields, so the replay alone leaves them as
 * the backup had them. Holds: each one made after the backup is recreated from its event; an online
 * hold takes its expiry and order from central's reservation row, a POS hold (central has no row for
 * it, and its TTL was never published) gets `posHoldHours` from when it was made. Holds closed after
 * the backup take the status of their last event. Transfers: every one this store is part of is set to
 * central's view where the file differs, since the commands that told the store were acknowledged
 * before the backup came back and will not come again.
 */
export function createViewRepair(db: StoreDb, central: CentralHistoryClient, storeId: string) {
  const sqlite = db.$client;
  const reservations = createReservationRepository(db);
  const transfers = createTransferRepository(db);
  const holdEventsAfter = sqlite.prepare<[number], LedgerRef>(
    `SELECT type, sku, reserved_delta AS reservedDelta, occurred_at AS occurredAt, ref
     FROM ledger WHERE seq > ? AND type GLOB 'reservation.*' ORDER BY seq`,
  );

  async function repairHolds(afterSeq: number, posHoldHours: number): Promise<HoldRepairReport> {
    const report: HoldRepairReport = { restored: 0, fromCentral: 0, fromPos: 0, closed: 0, posHolds: [] };
    const trails = holdTrails(holdEventsAfter.all(afterSeq));
    const inserts: Parameters<typeof reservations.insert>[0][] = [];
    const closes: HoldTrail[] = [];
    for (const trail of trails.values()) {
      const local = reservations.find(trail.id);
      if (local) {
        if (local.status !== trail.status) closes.push(trail);
        continue;
      }
      if (trail.qty === null || trail.heldAt === null) continue; // closed a hold the backup never had: nothing to show
      const online = await central.reservation(trail.id);
      const expiresAtMs = online ? Date.parse(online.expiresAt) : Date.parse(trail.heldAt) + posHoldHours * 3_600_000;
      inserts.push({
        id: trail.id,
        sku: trail.sku,
        qty: trail.qty,
        status: trail.status,
        source: online ? 'central' : 'pos',
        orderRef: online?.orderRef ?? null,
        expiresAtMs,
        createdAt: trail.heldAt,
        updatedAt: trail.at,
      });
      if (online) report.fromCentral++;
      else report.fromPos++;
      if (!online && trail.status === 'held') {
        report.posHolds.push({
          id: trail.id,
          sku: trail.sku,
          qty: trail.qty,
          expiresAt: new Date(expiresAtMs).toISOString(),
        });
      }
    }
    sqlite.transaction(() => {
      for (const row of inserts) reservations.insert(row);
      for (const trail of closes) reservations.setStatus(trail.id, trail.status, trail.at);
    })();
    report.restored = inserts.length;
    report.closed = closes.length;
    return report;
  }

  /**
   * Every transfer of this store, whatever its status: one requested and cancelled after the backup
   * touched no event and is in no open list, yet the store must know it (a late command finds it).
   */
  async function repairTransfers(): Promise<number> {
    const mine = (await central.transfersOfStore()).filter((t) => t.fromStoreId === storeId || t.toStoreId === storeId);
    let changed = 0;
    sqlite.transaction(() => {
      for (const t of mine) {
        const view: Omit<TransferRecord, 'id' | 'createdAt'> = {
          sku: t.sku,
          fromStoreId: t.fromStoreId,
          toStoreId: t.toStoreId,
          qty: t.qty,
          shippedQty: t.shippedQty,
          receivedQty: t.receivedQty,
          status: t.status,
          updatedAt: t.updatedAt,
        };
        const local = transfers.find(t.id);
        if (!local) transfers.insert({ id: t.id, createdAt: t.createdAt, ...view });
        else if (
          local.status !== view.status ||
          local.shippedQty !== view.shippedQty ||
          local.receivedQty !== view.receivedQty
        ) {
          transfers.update(t.id, view);
        } else continue;
        changed++;
      }
    })();
    return changed;
  }

  return { repairHolds, repairTransfers };
}
