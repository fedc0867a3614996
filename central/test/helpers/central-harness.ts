import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app';
import type { Database } from '../../src/db/database';
import { rowsOf } from '../../src/db/database';
import type { SyncPluginOptions } from '../../src/sync/sync-plugin';
import { createPgDatabase, createTempDir, testConfig } from './test-env';

export type Driver = 'postgres' | 'pglite';

/** Where a central under test keeps its state: a fresh PostgreSQL database, or PGlite in a temp dir. */
export async function createBackend(driver: Driver) {
  const dir = await createTempDir();
  const pgDb = driver === 'postgres' ? await createPgDatabase() : null;
  return {
    env: { DATA_DIR: dir.path, ...(pgDb ? { DATABASE_URL: pgDb.url } : {}) },
    cleanup: async () => {
      await pgDb?.drop();
      await dir.remove();
    },
  };
}

/** Fast test tuning: quick redelivery, short gap-repair timers. */
export const FAST_SYNC: SyncPluginOptions = {
  ackWaitMs: 2_000,
  nakDelayMs: 100,
  gapMinIntervalMs: 300,
  gapBrokenIntervalMs: 300,
  gapSweepIntervalMs: 300,
  gapGraceMs: 50,
  resendTimeoutMs: 1_000,
};

export async function startCentral(opts: {
  prefix: string;
  env: Record<string, string>;
  sync?: SyncPluginOptions;
}): Promise<FastifyInstance> {
  const app = await buildApp(testConfig({ NATS_PREFIX: opts.prefix, ...opts.env }), {
    sync: { ...FAST_SYNC, ...opts.sync },
  });
  await app.ready();
  return app;
}

export type SkuState = { onHand: number; reserved: number; version: number };

/** The stock projection keyed `${storeId}/${sku}`. */
export async function projection(db: Database): Promise<Map<string, SkuState>> {
  const rows = rowsOf<{ store_id: string; sku: string; on_hand: number; reserved: number; version: number }>(
    await db.execute(sql`select store_id, sku, on_hand, reserved, version from stock order by store_id, sku`),
  );
  return new Map(
    rows.map((r) => [`${r.store_id}/${r.sku}`, { onHand: r.on_hand, reserved: r.reserved, version: r.version }]),
  );
}

export type SyncSnapshot = {
  ledger: number;
  distinctEvents: number;
  buffered: number;
  stores: Record<string, { lastSeq: number; chainStatus: string }>;
  breaks: { storeId: string; seq: number | null; reason: string }[];
};

export async function syncSnapshot(db: Database): Promise<SyncSnapshot> {
  const [counts] = rowsOf<{ ledger: number; distinct_events: number; buffered: number }>(
    await db.execute(sql`select (select count(*)::int from ledger) as ledger,
      (select count(distinct event_id)::int from ledger) as distinct_events,
      (select count(*)::int from event_buffer) as buffered`),
  );
  const stores = rowsOf<{ store_id: string; last_seq: string | number; chain_status: string }>(
    await db.execute(sql`select store_id, last_seq, chain_status from stores order by store_id`),
  );
  const breaks = rowsOf<{ store_id: string; seq: string | number | null; reason: string }>(
    await db.execute(sql`select store_id, seq, reason from chain_breaks order by id`),
  );
  return {
    ledger: Number(counts?.ledger ?? 0),
    distinctEvents: Number(counts?.distinct_events ?? 0),
    buffered: Number(counts?.buffered ?? 0),
    stores: Object.fromEntries(
      stores.map((s) => [s.store_id, { lastSeq: Number(s.last_seq), chainStatus: s.chain_status }]),
    ),
    breaks: breaks.map((b) => ({ storeId: b.store_id, seq: b.seq === null ? null : Number(b.seq), reason: b.reason })),
  };
}

/** Invariant 1 at central: per (store, sku) Σ ledger deltas = onHand and Σ reserved deltas = reserved. */
export async function ledgerSums(db: Database): Promise<Map<string, { onHand: number; reserved: number }>> {
  const rows = rowsOf<{ store_id: string; sku: string; on_hand: string | number; reserved: string | number }>(
    await db.execute(sql`select store_id, sku, sum(delta) as on_hand, sum(reserved_delta) as reserved
      from ledger group by store_id, sku`),
  );
  return new Map(
    rows.map((r) => [`${r.store_id}/${r.sku}`, { onHand: Number(r.on_hand), reserved: Number(r.reserved) }]),
  );
}

export const allCaughtUp = (s: SyncSnapshot, expected: Record<string, number>) =>
  Object.entries(expected).every(([store, seq]) => s.stores[store]?.lastSeq === seq);

/** Sum of a counter's values on the app's registry (0 when never incremented). */
export async function counter(app: FastifyInstance, name: string): Promise<number> {
  const metric = app.metrics.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

/** One metric's series keyed by the value of `label` (store_id unless named), read from GET /metrics as Prometheus scrapes it. */
export async function metricSeries(
  app: FastifyInstance,
  name: string,
  label = 'store_id',
): Promise<Record<string, number>> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const series: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}\\{[^}]*${label}="([^"]+)"[^}]*\\} (\\S+)$`).exec(line);
    if (match) series[match[1] as string] = Number(match[2]);
  }
  return series;
}

/** Sum of observed values of a histogram (e.g. messages processed, from the batch-size histogram), or their count. */
export async function histogramSum(app: FastifyInstance, name: string, part: 'sum' | 'count' = 'sum'): Promise<number> {
  const metric = app.metrics.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => (v as { metricName?: string }).metricName === `${name}_${part}`)
    .reduce((sum, v) => sum + v.value, 0);
}
