import {
  compileValidator,
  isUntouched,
  type SkuState,
  type StoreStateReply,
  StoreStateReplySchema,
  type StoreStateRequest,
  stateChecksum,
} from '@stocksync/shared';
import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { type Database, rowsOf } from '../db/database';
import { createDiscrepanciesRepository } from '../db/discrepancies-repository';
import { stock, stores } from '../db/schema';
import { createStoresRepository } from '../db/stores-repository';
import type { ApplyHook } from '../domain/apply-batch';
import { reevaluateLowStock } from '../domain/low-stock-alerts';
import { type Finding, judgeSku, sameState } from '../domain/reconciliation';
import type { NatsLink } from './nats-link';
import type { SyncMetrics } from './sync-metrics';

export type ReconcileOutcome =
  | {
      storeId: string;
      result: 'match' | 'repaired' | 'diverged';
      lastSeq: number;
      skus: number;
      repaired: number;
      diverged: number;
    }
  /** Some SKUs' latest events (`pendingSkus` of them, when walked) were still on their way to central. */
  | { storeId: string; result: 'in_flight'; storeSeq: number; centralSeq: number; pendingSkus?: number }
  | { storeId: string; result: 'unreachable'; error: string };

export type ReconcilerOptions = {
  db: Database;
  /** The apply hooks (app.applyHooks, filled by later plugins): a repair runs the low-stock one. */
  hooks: readonly ApplyHook[];
  nats: NatsLink;
  log: FastifyBaseLogger;
  metrics: SyncMetrics;
  /** Period of the sweep over every online store; 0 turns the periodic check off (the route still works). */
  intervalMs: number;
  requestTimeoutMs: number;
  /** SKU states per state request when the checksums differ. */
  pageSize: number;
  /** Tries per store while its seq and central's differ (events in flight), `retryDelayMs` apart. */
  attempts: number;
  retryDelayMs: number;
  offlineAfterMs: number;
};

type CentralView = { lastSeq: number; rows: Map<string, SkuState> };

const replyValidator = compileValidator(StoreStateReplySchema);

/**
 * Reconciliation (DESIGN §6b): compares each online store's (seq, checksum of every SKU state) with
 * central's projection at the same seq and, where they differ, walks the store's states page by page
 * and repairs central from the store, which owns its stock (§3). Each repaired or diverging SKU is
 * recorded as a `projection_drift` discrepancy for HQ. Repairs are compare-and-set on the row central
 * read, so a concurrent apply always wins and the next check looks again.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<ReconcileOutcome[]> | null = null;
  private stopped = false;

  constructor(private readonly opts: ReconcilerOptions) {}

  start(): void {
    if (this.opts.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.sweep(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass over every online store with a healthy chain (passes never overlap). */
  sweep(): Promise<ReconcileOutcome[]> {
    this.sweeping ??= this.runSweep().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  private async runSweep(): Promise<ReconcileOutcome[]> {
    const outcomes: ReconcileOutcome[] = [];
    // NATS down: every store would only count as unreachable; the first sweep after it is back checks.
    if (!this.opts.nats.clients) return outcomes;
    try {
      const since = new Date(Date.now() - this.opts.offlineAfterMs).toISOString();
      const candidates = rowsOf<{ store_id: string }>(
        await this.opts.db.execute(sql`
          select store_id from ${stores}
          where chain_status = 'ok' and buffered_events = 0 and last_contact_at >= ${since}::timestamptz
          order by store_id`),
      );
      for (const { store_id } of candidates) {
        if (this.stopped) break;
        outcomes.push(await this.reconcile(store_id));
      }
    } catch (err) {
      this.opts.log.warn({ err }, 'reconciliation sweep failed');
    }
    return outcomes;
  }

  /** Compares one store with central now; repairs what is provably stale at central. */
  async reconcile(storeId: string): Promise<ReconcileOutcome> {
    const outcome = await this.compare(storeId);
    this.opts.metrics.reconciliations.inc({ result: outcome.result });
    if (outcome.result !== 'unreachable') {
      await createStoresRepository(this.opts.db).recordReconciliation(storeId, outcome.result, new Date());
    }
    const level = outcome.result === 'match' || outcome.result === 'in_flight' ? 'debug' : 'warn';
    this.opts.log[level]({ ...outcome }, 'reconciliation');
    return outcome;
  }

  private async compare(storeId: string): Promise<ReconcileOutcome> {
    let summary: StoreStateReply | undefined;
    let central: CentralView | undefined;
    for (let attempt = 0; attempt < this.opts.attempts; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, this.opts.retryDelayMs));
      try {
        summary = await this.ask(storeId, { limit: 0 });
      } catch (err) {
        return { storeId, result: 'unreachable', error: (err as Error).message };
      }
      central = await this.readCentral(storeId);
      if (central.lastSeq === summary.lastSeq) break;
    }
    if (!summary || !central) throw new Error('reconciliation needs at least one attempt');
    const { lastSeq, skuCount: skus = 0 } = summary;
    const inStep = central.lastSeq === lastSeq;
    if (inStep && stateChecksum(central.rows.values()).checksum === summary.checksum) {
      return { storeId, result: 'match', lastSeq, skus, repaired: 0, diverged: 0 };
    }
    // A store never quiet for the few tries above (a busy one) is walked all the same: each page item
    // names the seq of its state, so a SKU whose event central has applied is judged whatever follows.
    let findings: Finding[];
    let pendingSkus: number;
    try {
      ({ findings, pendingSkus } = await this.walk(storeId, central));
    } catch (err) {
      return { storeId, result: 'unreachable', error: (err as Error).message };
    }
    const repaired = await this.repair(storeId, findings);
    const diverged = findings.filter((f) => f.kind === 'diverged').length;
    if (repaired === 0 && diverged === 0) {
      if (findings.length === 0 && pendingSkus === 0) {
        // Caught up during the walk: every state the store has, central has.
        return { storeId, result: 'match', lastSeq, skus, repaired: 0, diverged: 0 };
      }
      // Every difference was an event still on its way (or an apply that moved the row first).
      return { storeId, result: 'in_flight', storeSeq: lastSeq, centralSeq: central.lastSeq, pendingSkus };
    }
    this.opts.metrics.reconcileSkus.inc({ kind: 'repaired' }, repaired);
    this.opts.metrics.reconcileSkus.inc({ kind: 'diverged' }, diverged);
    const result = diverged > 0 ? 'diverged' : 'repaired';
    return { storeId, result, lastSeq, skus, repaired, diverged };
  }

  /** Every SKU the store has, page by page, judged against central's row as it is when the page arrives. */
  private async walk(storeId: string, first: CentralView): Promise<{ findings: Finding[]; pendingSkus: number }> {
    const findings: Finding[] = [];
    let pendingSkus = 0;
    const seen = new Set<string>();
    let afterSku: string | undefined;
    for (;;) {
      const page = await this.ask(storeId, { limit: this.opts.pageSize, ...(afterSku ? { afterSku } : {}) });
      if (page.stock.length > 0) {
        const now = await this.readCentral(
          storeId,
          page.stock.map((s) => s.sku),
        );
        for (const s of page.stock) {
          seen.add(s.sku);
          const row = now.rows.get(s.sku);
          const finding = judgeSku(s, row, page.lastSeq, now.lastSeq);
          if (finding) findings.push(finding);
          else if (!sameState(s, row)) pendingSkus++;
        }
      }
      if (page.nextAfterSku === null) break;
      afterSku = page.nextAfterSku;
    }
    // SKUs central has and the store never heard of: as if the store's were untouched.
    for (const [sku, row] of first.rows) {
      if (seen.has(sku)) continue;
      const finding = judgeSku({ sku, onHand: 0, reserved: 0, version: 0 }, row, first.lastSeq, first.lastSeq);
      if (finding) findings.push(finding);
    }
    return { findings, pendingSkus };
  }

  /** Repairs (compare-and-set on the row central read) and records every finding; returns rows repaired. */
  private async repair(storeId: string, findings: readonly Finding[]): Promise<number> {
    if (findings.length === 0) return 0;
    const discrepancies = createDiscrepanciesRepository(this.opts.db);
    const repaired: string[] = [];
    for (const finding of findings) {
      if (finding.kind === 'repair' && (await this.repairRow(storeId, finding))) repaired.push(finding.store.sku);
      await discrepancies.record({
        kind: 'projection_drift',
        storeId,
        sku: finding.store.sku,
        expected: finding.store.onHand,
        actual: finding.central?.onHand ?? 0,
        // One record per distinct finding: a divergence seen on every sweep is recorded once.
        ref: `reconcile:${finding.kind}:store-v${finding.store.version}:central-v${finding.central?.version ?? 0}`,
      });
    }
    await this.reevaluateAlerts(storeId, repaired);
    return repaired.length;
  }

  /** A repaired row moved availability without an event: low-stock alerts follow it as an apply would. */
  private async reevaluateAlerts(storeId: string, skus: readonly string[]): Promise<void> {
    const lowStock = this.opts.hooks.filter((hook) => hook.lowStock);
    if (skus.length === 0 || lowStock.length === 0) return;
    const changed = await reevaluateLowStock(this.opts.db, skus, storeId);
    for (const hook of lowStock) await hook.lowStock?.(changed)?.();
  }

  private async repairRow(storeId: string, { store: s, central: c }: Finding): Promise<boolean> {
    const result = c
      ? await this.opts.db.execute(sql`
          update ${stock} set on_hand = ${s.onHand}, reserved = ${s.reserved}, version = ${s.version}, updated_at = now()
          where store_id = ${storeId} and sku = ${s.sku}
            and version = ${c.version} and on_hand = ${c.onHand} and reserved = ${c.reserved}
          returning 1`)
      : await this.opts.db.execute(sql`
          insert into ${stock} (store_id, sku, on_hand, reserved, version)
          values (${storeId}, ${s.sku}, ${s.onHand}, ${s.reserved}, ${s.version})
          on conflict (store_id, sku) do nothing
          returning 1`);
    return rowsOf(result).length > 0;
  }

  /** Central's cursor and projection rows of one store (all, or the given SKUs) in ONE statement: one snapshot. */
  private async readCentral(storeId: string, skus?: readonly string[]): Promise<CentralView> {
    const skuFilter = skus ? sql`and k.sku in ${skus}` : sql``;
    const rows = rowsOf<{
      last_seq: string | number;
      sku: string | null;
      on_hand: number;
      reserved: number;
      version: number;
    }>(
      await this.opts.db.execute(sql`
        select s.last_seq, k.sku, k.on_hand, k.reserved, k.version
        from ${stores} s left join ${stock} k on k.store_id = s.store_id ${skuFilter}
        where s.store_id = ${storeId}`),
    );
    const view: CentralView = { lastSeq: rows.length > 0 ? Number(rows[0]?.last_seq) : 0, rows: new Map() };
    for (const r of rows) {
      if (r.sku === null) continue;
      const state = { sku: r.sku, onHand: r.on_hand, reserved: r.reserved, version: r.version };
      if (!isUntouched(state)) view.rows.set(r.sku, state);
    }
    return view;
  }

  private async ask(storeId: string, request: StoreStateRequest): Promise<StoreStateReply> {
    const { nats } = this.opts;
    const nc = nats.clients?.nc;
    // Answered as 'unreachable' (503 STORE_UNAVAILABLE on the route), like a store that does not answer.
    if (!nc) throw new Error('NATS unreachable');
    const reply = await nc.request(nats.names.stateSubject(storeId), JSON.stringify(request), {
      timeout: this.opts.requestTimeoutMs,
    });
    const body: unknown = reply.json();
    if (!replyValidator.check(body))
      throw new Error(`store ${storeId} answered the state request with ${reply.string()}`);
    return body;
  }
}
