import { randomBytes } from 'node:crypto';
import { prng } from '@stocksync/shared/testing';
import { httpCall } from '../chain/http-client';
import { type AuditResult, audit, type Violations } from './chaos-audit';
import { ChaosCluster } from './chaos-cluster';
import { injectFault } from './chaos-faults';
import { ChaosJournal } from './chaos-journal';
import { createOperations } from './chaos-operations';
import { isPosOp, type PosOp, planChaos, type Step } from './chaos-plan';
import { readCentral, readStore } from './chaos-snapshot';
import { watchVersions } from './version-watch';

export type ChaosOptions = {
  seed: number;
  operations: number;
  /** Wall-clock limit for the whole run; traffic stops early enough to heal, drain and audit inside it. */
  timeLimitMs: number;
  stores: number;
  skus: number;
  /** Concurrent clients (POS terminals and HQ users) working through the plan. */
  lanes: number;
  faultEvery: number;
  cutOffEvents: number;
  log: (line: string) => void;
  /** Aborting stops new operations and cleans up without an audit (runChaos rejects). */
  signal?: AbortSignal;
};

export type ChaosSummary = {
  seed: number;
  operationsPlanned: number;
  operationsRun: number;
  faults: Record<string, number>;
  acknowledgedWrites: number;
  cutOffEvents: number;
  duplicatesPublished: number;
  /** Events store:recover replayed into stores restored from a backup; restores skipped, with why. */
  restoredEvents: number;
  restoresSkipped: string[];
  /** Fork events `--reenter-fork` sealed again after central's history, and misfits it left for a count. */
  forkEventsReentered: number;
  forkEventsSkipped: number;
  statuses: Record<string, number>;
  storeEvents: number;
  /** Stores whose last reconciliation compared and matched: shows the drift count is not vacuous. */
  reconciledStores: { matched: number; of: number };
  /** Low-stock alerts open at the end (the alert invariant is checked on every final row). */
  openAlerts: number;
  drained: boolean;
  violations: Violations;
  examples: string[];
  elapsedMs: number;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const violationCount = (v: Violations) => Object.values(v).reduce((a, b) => a + b, 0);
/** The run's verdict: every invariant held and the chain drained. */
export const chaosPassed = (s: ChaosSummary) => violationCount(s.violations) === 0 && s.drained;

export async function runChaos(options: ChaosOptions): Promise<ChaosSummary> {
  const started = Date.now();
  const { log } = options;
  const skus = Array.from({ length: options.skus }, (_, i) => `CH-${i}`);
  const steps = planChaos({ ...options, skus });
  const operationsPlanned = steps.filter((s) => 'op' in s).length;
  const drainBudgetMs = Math.min(180_000, Math.max(30_000, options.timeLimitMs * 0.35));
  const cluster = await ChaosCluster.start({
    stores: options.stores,
    skus,
    openingStock: 40,
    log,
  });
  try {
    const journal = new ChaosJournal();
    const runId = randomBytes(4).toString('hex');
    const ops = createOperations(
      {
        pos: (store) => cluster.pos(store),
        storeId: (store) => cluster.stores[store]?.id ?? 's1',
        hq: () => {
          const first = Math.floor(Math.random() * cluster.centrals.length);
          return [cluster.hq(first), cluster.hq(first + 1)];
        },
      },
      journal,
      runId,
    );
    const versions = watchVersions(cluster.db);
    const trafficDeadline = started + options.timeLimitMs - drainBudgetMs;
    const burst = (store: number, events: number, n: number) =>
      cutOffBurst(ops.pos, store, events, skus, `${runId}-${n}`);
    let next = 0;
    const lane = async () => {
      while (next < steps.length && Date.now() < trafficDeadline && !options.signal?.aborted) {
        const step = steps[next++] as Step;
        if ('fault' in step) {
          log(`fault at op ${step.n}: ${JSON.stringify(step.fault)}`);
          await injectFault(step.fault, cluster, journal, (s, e) => burst(s, e, step.n), options.seed + step.n);
          continue;
        }
        journal.operations++;
        if (isPosOp(step.op)) await ops.pos(step.op, `${runId}-${step.n}`);
        else await ops.hq(step.op, `${runId}-${step.n}`);
      }
    };
    const progress = setInterval(() => {
      const faults = [...journal.faults.values()].reduce((a, b) => a + b, 0);
      log(
        `${journal.operations}/${steps.filter((s) => 'op' in s).length} operations, ${faults} faults, ${journal.acked.length} acknowledged writes`,
      );
    }, 5_000);
    try {
      await Promise.all(Array.from({ length: options.lanes }, lane));
    } finally {
      clearInterval(progress);
    }

    // Ctrl-C reached the whole process group, children included: nothing left to audit, only to clean up.
    if (options.signal?.aborted) throw new Error('chaos run aborted; every process it started is being stopped');
    log('traffic done: healing and draining');
    await cluster.heal();
    const drained = await drain(cluster, started + options.timeLimitMs - 15_000);
    await versions.stop();
    const result = await settledAudit(cluster, journal, versions.regressions);
    return {
      seed: options.seed,
      operationsPlanned,
      operationsRun: journal.operations,
      faults: Object.fromEntries(journal.faults),
      acknowledgedWrites: journal.acked.length,
      cutOffEvents: journal.cutOffEvents,
      duplicatesPublished: journal.duplicatesPublished,
      restoredEvents: journal.restoredEvents,
      restoresSkipped: [...journal.restoresSkipped],
      forkEventsReentered: journal.forkEventsReentered,
      forkEventsSkipped: journal.forkEventsSkipped,
      statuses: Object.fromEntries([...journal.statuses].sort()),
      storeEvents: (await cluster.db.query<{ n: number }>('select count(*)::int as n from ledger')).rows[0]?.n ?? 0,
      reconciledStores: (
        await cluster.db.query<{ matched: number; of: number }>(
          `select count(*) filter (where reconcile_result = 'match')::int as matched, count(*)::int as of from stores`,
        )
      ).rows[0] ?? { matched: 0, of: 0 },
      openAlerts: result.openAlerts,
      drained,
      violations: result.violations,
      examples: result.examples,
      elapsedMs: Date.now() - started,
    };
  } finally {
    await cluster.stop();
  }
}

/** A store's POS busy while its line is down: receipts and sales of five lines until `events` are written. */
async function cutOffBurst(
  pos: (op: PosOp, key: string) => Promise<number>,
  store: number,
  events: number,
  skus: readonly string[],
  keyPrefix: string,
): Promise<number> {
  const random = prng(events + store);
  let written = 0;
  let n = 0;
  const worker = async () => {
    while (written < events) {
      const start = Math.floor(random() * skus.length);
      const lines = Array.from({ length: 5 }, (_, i) => ({ sku: skus[(start + i) % skus.length] as string, qty: 1 }));
      const kind = n % 2 === 0 ? 'receipt' : 'sale';
      const acked = await pos({ kind, store, lines }, `${keyPrefix}-burst-${n++}`);
      written += acked;
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  return written;
}

/** Waits until every store has published everything and central has applied it, twice in a row. */
async function drain(cluster: ChaosCluster, deadline: number): Promise<boolean> {
  let previous = '';
  while (Date.now() < deadline) {
    const state = await Promise.all(
      cluster.stores.map(async (s, i) => {
        const sync = await httpCall<{ pending: number; lastSeq: number }>(cluster.pos(i), 'GET', '/sync').catch(
          () => null,
        );
        return { id: s.id, pending: sync?.body.pending ?? -1, lastSeq: sync?.body.lastSeq ?? -1 };
      }),
    );
    const central = await cluster.db.query<{ store_id: string; last_seq: string; buffered_events: number }>(
      'select store_id, last_seq, buffered_events from stores',
    );
    // Commands still to publish, and holds the sweeper has not yet released where a request failed.
    const commands = await cluster.db.query<{ n: number }>(
      `select (select count(*) from command_outbox where published_at is null)
            + (select count(*) from reservation_attempts where settled_at is null) as n`,
    );
    const caughtUp = state.every((s) => {
      const row = central.rows.find((r) => r.store_id === s.id);
      return s.pending === 0 && Number(row?.last_seq) === s.lastSeq && row?.buffered_events === 0;
    });
    const fingerprint = JSON.stringify(state);
    if (caughtUp && Number(commands.rows[0]?.n) === 0 && fingerprint === previous) return true;
    previous = caughtUp ? fingerprint : '';
    await sleep(1_000);
  }
  return false;
}

/** Commands, catalog and expiries settle a little after the event streams: audit until clean or out of patience. */
async function settledAudit(cluster: ChaosCluster, journal: ChaosJournal, regressions: string[]): Promise<AuditResult> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const stores = cluster.stores.map((s) => readStore(s.id, s.dataDir));
    const result = audit(journal, stores, await readCentral(cluster.db), regressions);
    if (violationCount(result.violations) === 0) return result;
    if (Date.now() > deadline) {
      result.examples.push(...(await syncState(cluster)));
      return result;
    }
    await sleep(2_000);
  }
}

/** For a failed audit: where each store's events stand, at the store and at central. */
async function syncState(cluster: ChaosCluster): Promise<string[]> {
  const { rows } = await cluster.db.query<{ store_id: string; last_seq: string; buffered_events: number }>(
    'select store_id, last_seq, buffered_events from stores order by store_id',
  );
  return Promise.all(
    cluster.stores.map(async (s, i) => {
      const sync = await httpCall(cluster.pos(i), 'GET', '/sync').catch((e: unknown) => ({ body: String(e) }));
      const central = rows.find((r) => r.store_id === s.id);
      return `state: ${s.id} store /sync ${JSON.stringify(sync.body)}; central last_seq ${central?.last_seq} buffered ${central?.buffered_events}`;
    }),
  );
}
